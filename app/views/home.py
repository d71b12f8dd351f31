"""The landing page after login: what this user can do, for its territory."""

from flask import g, redirect, url_for
from flask_appbuilder import IndexView, expose


class AccueilView(IndexView):
    index_template = "accueil.html"

    @expose("/")
    def index(self):
        if not g.user or not g.user.is_authenticated:
            return redirect(url_for("AuthDBView.login"))
        return self.render_template(self.index_template, appbuilder=self.appbuilder)
