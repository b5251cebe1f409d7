import csv
import io

from flask import Flask, send_file

app = Flask(__name__)

SALES = [("2024-01", 120), ("2024-02", 95)]


@app.route("/reports/<month>.csv")
def monthly(month):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(["month", "units"])
    writer.writerows(row for row in SALES if row[0] == month)
    data = io.BytesIO(buf.getvalue().encode("utf-8"))
    return send_file(data, mimetype="text/csv", as_attachment=True,
                     attachment_filename="sales-%s.csv" % month, cache_timeout=0)
