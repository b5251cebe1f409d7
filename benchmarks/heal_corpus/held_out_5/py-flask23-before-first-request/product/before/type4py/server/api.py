from flask import Blueprint, request, session
from type4py.server import IS_T4PY_LOCAL_MODE
from type4py.server.app import app
from type4py.server.response import PredictResponse
from type4py.deploy.infer import PretrainedType4Py, type_annotate_file
from datetime import datetime
from secrets import token_urlsafe

bp = Blueprint('type4py_api', __name__, url_prefix="/api/")

t4py_pretrained_m = None

@app.before_first_request
def load_type4py_model():
    global t4py_pretrained_m
    t4py_pretrained_m = PretrainedType4Py(app.config['MODEL_PATH'],
                                          app.config['DEVICE'],
                                          app.config['PRE_READ_TYPE_CLUSTER'],
                                          IS_T4PY_LOCAL_MODE)
    t4py_pretrained_m.load_pretrained_model()

@app.before_request
def before_request_f():
    session['req_start_t'] = datetime.now().isoformat()
    if request.endpoint == "type4py_api.predict":
        session['session_id'] = token_urlsafe(32)
        app.logger.info(f"Endpoint {request.endpoint}")

@bp.route('/')
def hello_world():
    return "Type4Py server is up"

def predict_type4py_model(src_file, **args):
    is_fp_enabled = bool(int(args.get("fp"))) if args.get("fp") is not None else True

    if len(src_file.splitlines()) > app.config['MAX_LOC']:
        return PredictResponse(None, f"File is larger than {app.config['MAX_LOC']} LoC").get()

    if bool(int(args.get("tc") or 0)):
        return PredictResponse(None, "Type-checking is not available yet!").get()
    else:
        return PredictResponse(type_annotate_file(t4py_pretrained_m, src_file, None, is_fp_enabled)).get()


@bp.route('/predict', methods = ['POST', 'GET'])
def predict():
    """
    Queries the Type4Py model and returns the predicted type annotations as JSON.
    """
    return predict_type4py_model(request.data, tc=request.args.get("tc"), fp=request.args.get("fp"))
