"""Attribute messages of a small binary container: decoded on first use."""

import struct

import numpy as np

# type code of an attribute -> its little-endian numpy dtype
_CODES = {1: "<i4", 2: "<f8", 3: "|u1"}


def determine_data_shape(buf, offset):
    """The extents stored at `offset` (a rank byte, then one uint32 per axis) and the offset after them."""
    (rank,) = struct.unpack_from("<B", buf, offset)
    extents = struct.unpack_from("<%dI" % rank, buf, offset + 1)
    return tuple(extents), offset + 1 + 4 * rank


class DataObjects(object):
    """The attributes of one object, read from its raw message block."""

    def __init__(self, raw):
        self.raw = raw
        self._attributes = None

    def _unpack_attribute(self, offset):
        name_size, code = struct.unpack_from("<HB", self.raw, offset)
        offset += 3
        name = self.raw[offset:offset + name_size].decode("ascii")
        offset += name_size

        # how many values follow: the product of the extents
        shape, offset = determine_data_shape(self.raw, offset)
        nvalues = int(np.product(shape))
        dtype = np.dtype(_CODES[code])

        # then the values themselves, packed
        value = np.frombuffer(self.raw, dtype=dtype, count=nvalues, offset=offset)
        offset += nvalues * dtype.itemsize
        return name, value.reshape(shape), offset

    def get_attributes(self):
        if self._attributes is None:
            found, offset = {}, 0
            while offset < len(self.raw):
                name, value, offset = self._unpack_attribute(offset)
                found[name] = value
            self._attributes = found
        return self._attributes


def pack_attribute(name, value):
    """The message bytes of one attribute (the inverse of DataObjects._unpack_attribute)."""
    code = {v: k for k, v in _CODES.items()}[value.dtype.str]
    head = struct.pack("<HB", len(name), code) + name.encode("ascii")
    dims = struct.pack("<B", value.ndim) + struct.pack("<%dI" % value.ndim, *value.shape)
    return head + dims + value.tobytes()


if __name__ == "__main__":
    blob = pack_attribute("scale", np.arange(6, dtype="<f8").reshape(2, 3))
    blob += pack_attribute("flags", np.ones(4, dtype="u1"))
    for key, val in DataObjects(blob).get_attributes().items():
        print(key, val.shape, val.sum())
