"""Build the ssh command lines used to deploy a release to a host."""

from pipes import quote


def remote_command(host, *argv, user="deploy"):
    inner = " ".join(quote(a) for a in argv)
    return "ssh %s@%s %s" % (user, host, quote(inner))


def upload_command(host, local_path, remote_dir):
    return "scp %s %s:%s" % (quote(local_path), host, quote(remote_dir + "/"))
