import sys

from useradmin import check, make_user

user = make_user("admin", "hunter2")
ok = check(user, "hunter2") and not check(user, "hunter3") and user["hash"].startswith("$2b$10$")
print(user["name"], ok)
sys.exit(0 if ok else 1)
