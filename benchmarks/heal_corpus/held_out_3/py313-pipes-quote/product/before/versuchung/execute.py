# This file is part of a small experiment runner: run shell commands whose
# arguments are quoted for the shell, and keep what they printed.

import os
import subprocess
try:
    import thread
except ImportError:
    import _thread as thread
import time
import pipes
from multiprocessing import cpu_count as __cpu_count

__all__ = ["shell", "shell_failok", "quote_args", "CommandFailed"]


class CommandFailed(RuntimeError):
    def __init__(self, command, returncode, stdout=""):
        RuntimeError.__init__(self, "Command failed (%d): %s" % (returncode, command))
        self.command = command
        self.returncode = returncode
        self.stdout = stdout


def cpu_count():
    return __cpu_count()


def quote_args(args):
    """Quote the arguments for a command template: a dict (for %(name)s) or a list / tuple (for %s)."""
    if len(args) == 1 and type(args[0]) == dict:
        ret = {}
        for k,v in args[0].items():
            ret[k] = pipes.quote(v)
        return ret
    elif type(args) == list or type(args) == tuple:
        args = tuple([pipes.quote(x) for x in args])
    else:
        assert False
    return args


def __shell(failok, command, *args):
    os.environ["LC_ALL"] = "C"
    args = quote_args(args)
    command = command % args
    started = time.time()
    p = subprocess.Popen(command, shell=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    (stdout, _) = p.communicate()
    stdout = stdout.decode("utf-8", "replace")
    if p.returncode != 0 and not failok:
        raise CommandFailed(command, p.returncode, stdout)
    return (stdout.rstrip("\n").split("\n"), p.returncode, time.time() - started)


def shell(command, *args):
    """Run `command` (a %-template) with the quoted `args` in a shell; its output lines and exit code."""
    (lines, code, _) = __shell(False, command, *args)
    return (lines, code)


def shell_failok(command, *args):
    """Like shell(), but a non-zero exit code is returned, not raised."""
    (lines, code, _) = __shell(True, command, *args)
    return (lines, code)


if __name__ == "__main__":
    print(shell("echo %s %s", "two words", "it's $HOME"))
    print(shell("printf '%%s|' %(a)s %(b)s", {"a": "x; rm -rf /", "b": "*"}))
    print(shell_failok("test -d %s", "/no such dir"))
