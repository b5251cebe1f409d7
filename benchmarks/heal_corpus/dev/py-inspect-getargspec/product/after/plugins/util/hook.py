"""Register command handlers and remember how they want to be called."""

import inspect

REGISTRY = {}


def register(handler, name=None):
    spec = inspect.getfullargspec(handler)
    positional = list(spec.args)
    if spec.defaults:
        optional = positional[len(positional) - len(spec.defaults):]
    else:
        optional = []
    wants_extra = bool(spec.varkw)
    extra_name = spec.varkw or ""
    REGISTRY[name or handler.__name__] = {
        "handler": handler,
        "required": positional[: len(positional) - len(optional)],
        "optional": optional,
        "star": bool(spec.varargs),
        "extra": wants_extra,
        "extra_name": extra_name,
    }
    return handler


def call(name, *args, **options):
    entry = REGISTRY[name]
    if not entry["extra"]:
        options = {k: v for k, v in options.items() if k in entry["optional"]}
    return entry["handler"](*args, **options)


def describe(name):
    entry = REGISTRY[name]
    handler = entry["handler"]
    words = [name] + entry["required"] + ["[%s]" % o for o in entry["optional"]]
    if entry["extra"]:
        words.append("[options...]")
    return " ".join(words)


@register
def greet(who, punctuation="!", **unused):
    return "hi " + who + punctuation


if __name__ == "__main__":
    print(call("greet", "you", colour="red"), describe("greet"))
