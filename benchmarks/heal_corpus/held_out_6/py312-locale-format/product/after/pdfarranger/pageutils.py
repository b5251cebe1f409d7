"""Page size helpers: a pair of linked width/height fields that keep the aspect ratio."""
import locale

MM_PER_POINT = 25.4 / 72


class _Adjustment:
    def __init__(self, value, lower=0.0, upper=10000.0):
        self.lower, self.upper = lower, upper
        self.value = value

    def get_value(self):
        return self.value

    def set_value(self, value):
        self.value = min(max(value, self.lower), self.upper)


class _LinkedSpinButton:
    """A numeric entry; the text shows the value without trailing zeros."""

    def __init__(self, value, lower=0.0, upper=10000.0):
        self._adjustment = _Adjustment(value, lower, upper)
        self._text = ""
        self.__output(None)

    def get_adjustment(self):
        return self._adjustment

    def get_text(self):
        return self._text

    def set_value(self, value):
        self._adjustment.set_value(value)
        self.__output(None)

    def __output(self, _user_data):
        """ output signal handler to remove unneeded 0 """
        s = locale.format_string("%.8g", self.get_adjustment().get_value())
        self._text = s
        return True


class PageSizeEntry:
    """Width and height in millimetres, linked by the page's aspect ratio."""

    def __init__(self, width_pt, height_pt):
        self.ratio = height_pt / width_pt
        self.width = _LinkedSpinButton(width_pt * MM_PER_POINT)
        self.height = _LinkedSpinButton(height_pt * MM_PER_POINT)

    def set_width(self, mm):
        self.width.set_value(mm)
        self.height.set_value(mm * self.ratio)

    def texts(self):
        return self.width.get_text(), self.height.get_text()
