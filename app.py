"""practice-sso: the Chalice app only wires blueprints; the logic lives in chalicelib/."""

from chalice import Chalice

from chalicelib.routes import auth, authorizer, discovery, saml, static

app = Chalice(app_name="practice-sso")
app.register_blueprint(static.bp)
app.register_blueprint(authorizer.bp)
app.register_blueprint(auth.bp)
app.register_blueprint(discovery.bp)
app.register_blueprint(saml.bp)
