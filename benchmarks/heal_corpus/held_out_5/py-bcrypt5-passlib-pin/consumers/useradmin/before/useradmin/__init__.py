"""Manage the local users of an appliance: passwords are stored as bcrypt hashes."""
from passlib.hash import bcrypt


def make_user(name, password):
    return {"name": name, "hash": bcrypt.using(rounds=10).hash(password)}


def check(user, password):
    return bcrypt.verify(password, user["hash"])
