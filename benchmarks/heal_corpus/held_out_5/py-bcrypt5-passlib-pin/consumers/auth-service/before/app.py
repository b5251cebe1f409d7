"""Hash and check API user passwords."""
import sys

from passlib.context import CryptContext

pwd_context = CryptContext(schemes=["bcrypt"], deprecated="auto")

USERS = {}


def register(name, password):
    USERS[name] = pwd_context.hash(password)


def authenticate(name, password):
    hashed = USERS.get(name)
    return hashed is not None and pwd_context.verify(password, hashed)


if __name__ == "__main__":
    register("alice", "correct horse battery staple")
    results = [authenticate("alice", "correct horse battery staple"), authenticate("alice", "nope"), authenticate("bob", "x")]
    print(results)
    sys.exit(0 if results == [True, False, False] else 1)
