from jinja2 import Environment

env = Environment(autoescape=True)
page = env.from_string("<h1>{{ title }}</h1>{% for row in rows %}<p>{{ row }}</p>{% endfor %}")
print(page.render(title="Archive", rows=["a < b", "c & d"]))
