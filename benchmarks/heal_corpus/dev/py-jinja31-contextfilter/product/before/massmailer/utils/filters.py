"""Template filters that read the language from the render context."""

import jinja2

GREETINGS = {"en": "Hello", "fr": "Bonjour", "de": "Hallo"}


def _language(ctx):
    return ctx.get("language", "en").split("-")[0]


@jinja2.contextfilter
def greeting(ctx, name):
    word = GREETINGS.get(_language(ctx), GREETINGS["en"])
    return "%s, %s" % (word, name)


@jinja2.contextfilter
def list_join(ctx, items):
    last = " et " if _language(ctx) == "fr" else " and "
    return last.join(items) if len(items) < 3 else ", ".join(items[:-1]) + last + items[-1]


@jinja2.contextfilter
def upper_title(ctx, text):
    return text.upper() if _language(ctx) == "de" else text.title()


if __name__ == "__main__":
    env = jinja2.Environment()
    env.filters.update(greeting=greeting, list_join=list_join, upper_title=upper_title)
    print(env.from_string("{{ 'ann' | greeting }}").render(language="fr"))
