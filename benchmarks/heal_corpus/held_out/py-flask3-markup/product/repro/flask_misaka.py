from flask import Markup
