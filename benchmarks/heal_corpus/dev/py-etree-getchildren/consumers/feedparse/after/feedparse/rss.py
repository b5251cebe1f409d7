import xml.etree.ElementTree as ET


def titles(text):
    root = ET.fromstring(text)
    out = []
    for item in list(root):
        out.append(item.findtext('title'))
    return out
