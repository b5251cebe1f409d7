from jinja2 import Template

print(Template('{{ x }}').render(x=1))
