from flask import jsonify


class PredictResponse:
    def __init__(self, response, error=None):
        self.response = response
        self.error = error

    def get(self):
        return jsonify({"response": self.response, "error": self.error})
