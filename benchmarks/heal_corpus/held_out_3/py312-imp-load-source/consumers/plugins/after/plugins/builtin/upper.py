NAME = "upper"


def run(text):
    return text.upper()
