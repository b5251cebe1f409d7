"""Announcement channels (a backend, like ``registries/``): what ``announce.post`` and notifications send
through, and what the announce observer reads back.

``message.py`` renders the text (Jinja2, sandboxed) from the release's values; ``webhook.py`` posts JSON
(Slack, Discord, Teams, plain, or a template) signed with an HMAC; ``mail.py`` sends a text + HTML
email over SMTP; ``macro.py`` runs a Playwright macro in headless Chromium with a trace, screenshots
and a video; ``notify.py`` turns what happened in a run into notification events. Every delivery
reports its result as a value; secrets never appear in what it returns.
"""
