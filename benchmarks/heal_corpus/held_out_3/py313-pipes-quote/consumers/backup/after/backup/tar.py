import shlex
import subprocess


def archive_command(target, paths, exclude=()):
    parts = ["tar", "-czf", shlex.quote(target)]
    parts += ["--exclude=" + shlex.quote(pattern) for pattern in exclude]
    parts += [shlex.quote(p) for p in paths]
    return " ".join(parts)


def dry_run(target, paths, exclude=()):
    """What the shell would receive as argv for the archive command."""
    cmd = "printf '[%s]\\n' " + archive_command(target, paths, exclude)[len("tar "):]
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, check=True).stdout.split()
