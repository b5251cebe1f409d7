#!/usr/bin/env python3
#
#  Build a package from its package.yml; this part finds who packages it.
#

import configparser
import os
import sys

DEFAULT_PACKAGER_NAME = "Automated Package Build"
DEFAULT_PACKAGER_EMAIL = "no.email.set.in.config"


def packager_files(extra=None):
    files = []
    if extra:
        files.append(extra)
    files.append(os.path.expanduser("~/.config/solus/packager"))
    files.append("/etc/solus-packager")
    return files


def build_package(filename, outputDir, buildDir=None, packager=None):
    """ Main entry point into building a package (only the packager part here) """
    packager_name = DEFAULT_PACKAGER_NAME
    packager_email = DEFAULT_PACKAGER_EMAIL

    for fpath in packager_files(packager):
        if not os.path.exists(fpath):
            continue
        try:
            c = configparser.ConfigParser()
            c.read_file(open(fpath))
            pname = c.get("Packager", "Name")
            pemail = c.get("Packager", "Email")

            packager_name = pname
            packager_email = pemail
            break
        except Exception as e:
            print("[Config] Error in packager config:")
            print(e)
            print("[Config] Using default packager values")
            break

    print("Building %s into %s as %s <%s>" % (filename, outputDir, packager_name, packager_email))
    return (packager_name, packager_email)


def main():
    filename = sys.argv[1] if len(sys.argv) > 1 else "package.yml"
    packager = sys.argv[2] if len(sys.argv) > 2 else None
    name, email = build_package(filename, ".", packager=packager)
    if packager and name == DEFAULT_PACKAGER_NAME:
        print("packager file %s was not used" % packager)
        sys.exit(1)


if __name__ == "__main__":
    main()
