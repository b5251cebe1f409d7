"""The settings API of the web interface: downloads of recorded songs and their sheet music."""

import os
import shutil

from flask import abort, request, send_file

from webinterface import webinterface

SONGS_DIR = os.environ.get("SONGS_DIR", "Songs")


def songs_path(*parts):
    path = os.path.abspath(os.path.join(SONGS_DIR, *parts))
    if not path.startswith(os.path.abspath(SONGS_DIR) + os.sep):
        abort(404)
    return path


def convert_midi_to_abc(name):
    """Stand-in for the notation converter: writes <song>.abc beside the midi file."""
    with open(songs_path(name.replace(".mid", ".abc")), "w") as f:
        f.write("X:1\nT:%s\nK:C\nCDEF|\n" % name)


@webinterface.route('/api/change_setting', methods=['GET'])
def change_setting():
    setting_name = request.args.get('setting_name')
    value = request.args.get('value')

    if setting_name == "download_midi":
        songs_count = int(request.args.get('songs_count', 1))
        if songs_count > 0:
            if songs_count == 1:
                return send_file(songs_path(value), mimetype='application/x-csv',
                                 attachment_filename=value,
                                 as_attachment=True)
            else:
                archive = songs_path(value.replace(".mid", ""))
                shutil.make_archive(archive, "zip", SONGS_DIR, value)
                return send_file(archive + ".zip",
                                 mimetype='application/x-csv',
                                 attachment_filename=value.replace(".mid", "") + ".zip", as_attachment=True)
        else:
            return send_file(songs_path(value), mimetype='application/x-csv', attachment_filename=value,
                             as_attachment=True)

    if setting_name == "download_sheet_music":
        file_types = [".abc", ".pdf"]
        i = 0
        while i < len(file_types):
            new_name = value.replace(".mid", file_types[i])
            if os.path.exists(songs_path(new_name)):
                return send_file(songs_path(new_name), mimetype='application/x-csv',
                                 attachment_filename=new_name,
                                 as_attachment=True)
            i += 1
        convert_midi_to_abc(value)
        return send_file(songs_path(value.replace(".mid", ".abc")), mimetype='application/x-csv',
                         attachment_filename=value.replace(".mid", ".abc"), as_attachment=True)

    return "", 204


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as songs:
        SONGS_DIR = songs
        with open(os.path.join(songs, "etude.mid"), "wb") as f:
            f.write(b"MThd\x00\x00\x00\x06")
        webinterface.testing = True
        client = webinterface.test_client()
        for query in ("download_midi&value=etude.mid",
                      "download_midi&value=etude.mid&songs_count=2",
                      "download_sheet_music&value=etude.mid"):
            response = client.get("/api/change_setting?setting_name=" + query)
            print(response.status_code, response.headers["Content-Disposition"])
