"""A tiny notes service backed by SQLite."""

import os
import sqlite3

from flask import Flask, jsonify, request

app = Flask(__name__)
app.config["DATABASE"] = os.environ.get("NOTES_DB", "notes.sqlite")


def connect():
    return sqlite3.connect(app.config["DATABASE"])


def init_db():
    with connect() as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")


with app.app_context():
    init_db()


@app.post("/notes")
def add_note():
    body = (request.get_json(silent=True) or {}).get("body")
    if not body:
        return jsonify(error="body is required"), 400
    with connect() as conn:
        cur = conn.execute("INSERT INTO notes (body) VALUES (?)", (body,))
    return jsonify(id=cur.lastrowid, body=body), 201


@app.get("/notes")
def list_notes():
    with connect() as conn:
        rows = conn.execute("SELECT id, body FROM notes ORDER BY id").fetchall()
    return jsonify([{"id": i, "body": b} for i, b in rows])
