from base64 import encodestring


def encode_part(payload):
    return encodestring(payload)
