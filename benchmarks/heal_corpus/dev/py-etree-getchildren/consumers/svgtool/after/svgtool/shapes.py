from xml.etree import ElementTree


def count(svg):
    node = ElementTree.fromstring(svg)
    return len([c for c in list(node) if c.tag in ('rect', 'circle')])
