import xml.etree.ElementTree as ET

node = ET.fromstring('<div><h1/></div>')
for child in node.getchildren():
    pass
