import xml.etree.ElementTree as ET


def titles(text):
    root = ET.fromstring(text)
    out = []
    for item in root.getchildren():
        out.append(item.findtext('title'))
    return out
