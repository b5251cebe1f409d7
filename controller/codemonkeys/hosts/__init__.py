"""Hosts of deploy environments (a backend of the deploy facet): inventories, the Ansible probe and
rollout runs through ansible-runner, and the pure parse of their per-host results."""
