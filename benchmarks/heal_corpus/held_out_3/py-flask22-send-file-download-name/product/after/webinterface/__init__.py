from flask import Flask

webinterface = Flask(__name__)
