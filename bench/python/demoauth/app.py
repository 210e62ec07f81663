"""The authorization guide's demo app for Python Chalice: the baseline chalice-rs is measured
against. Same behaviour as examples/demoauth: the token `allow` may call `/`, any other token
is given a policy that allows nothing, and the view returns the request context."""

from chalice import AuthResponse, Chalice

app = Chalice(app_name="demoauth1")


@app.authorizer()
def demo_auth(auth_request):
    if auth_request.token == "allow":
        return AuthResponse(routes=["/"], principal_id="user")
    return AuthResponse(routes=[], principal_id="user")


@app.route("/", authorizer=demo_auth)
def index():
    return {"context": app.current_request.context}
