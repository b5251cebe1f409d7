import base64


def plain(user, password):
    raw = ('\0%s\0%s' % (user, password)).encode('utf-8')
    return base64.encodestring(raw).decode('ascii').strip()
