import yaml

DEFAULTS = """
active: true
roles: [viewer]
"""


def load_defaults():
    return yaml.safe_load(DEFAULTS)


def load_documents(text):
    """Every YAML document in text is one fixture record, merged over the defaults."""
    base = load_defaults()
    records = []
    for doc in yaml.safe_load_all(text):
        if doc is None:
            continue
        record = dict(base)
        record.update(doc)
        records.append(record)
    return records
