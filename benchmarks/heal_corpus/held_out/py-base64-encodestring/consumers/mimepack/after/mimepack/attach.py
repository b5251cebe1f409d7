from base64 import encodebytes


def encode_part(payload):
    return encodebytes(payload)
