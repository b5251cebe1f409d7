from flask import Flask

app = Flask(__name__)


@app.get("/health")
def health():
    return {"up": True}


with app.test_client() as client:
    print(client.get("/health").get_json())
