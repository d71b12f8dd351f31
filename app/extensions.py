"""Extension instances, bound to the application in `create_app()`."""

from functools import wraps

from flask_appbuilder import Model
from flask_appbuilder.utils.legacy import get_sqla_class
from flask_mail import Mail
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

# FAB's Model has its own declarative base: share its metadata so Alembic sees every table.
db = get_sqla_class()(metadata=Model.metadata)
migrate = Migrate()
mail = Mail()
csrf = CSRFProtect()


def unit_of_work(fn):
    """A use case: commit on success, roll back on any error (nothing half-done)."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            result = fn(*args, **kwargs)
            db.session.commit()
            return result
        except BaseException:
            db.session.rollback()
            raise

    return wrapper
