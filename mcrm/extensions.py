"""Flask extensions, created unbound and wired in the factory."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
# No default limits: only the login form is throttled, by failures (see auth.views).
limiter = Limiter(key_func=get_remote_address, default_limits=[])
