"""List the heading levels found directly under an element."""

import re
import xml.etree.ElementTree as ET

HEADING = re.compile(r"^h([1-6])$")


def heading_levels(section):
    levels = []

    for child in section.getchildren():
        found = HEADING.match(child.tag.lower())

        if found:
            levels.append(int(found.group(1)))
    return levels


if __name__ == "__main__":
    print(heading_levels(ET.fromstring("<body><h1/><p/><H3/></body>")))
