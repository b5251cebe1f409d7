"""Tests of the sandbox URLs and launch views (no database needed)."""
import uuid

from django.test import SimpleTestCase
from django.urls import reverse

from lti_toolbox.signature import sign_parameters


def signed(url, **params):
    params.update(oauth_consumer_key="sandbox-consumer", lti_message_type="basic-lti-launch-request")
    params["oauth_signature"] = sign_parameters("POST", url, params, "sandbox-secret")
    return params


class SandboxURLsTest(SimpleTestCase):
    def test_root_redirects_to_consumer(self):
        response = self.client.get("/")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response["Location"], "/consumer")

    def test_consumer_page(self):
        self.assertEqual(reverse("demo_consumer"), "/consumer")
        response = self.client.get("/consumer")
        self.assertContains(response, "/lti/launch-verification")

    def test_launch_verification(self):
        url = "http://testserver" + reverse("lti.launch-url-verification")
        response = self.client.post(url, signed(url, user_id="ada"))
        self.assertContains(response, "verified for ada")

    def test_bad_signature_is_forbidden(self):
        url = "http://testserver/lti/launch-verification"
        params = signed(url, user_id="ada")
        params["user_id"] = "mallory"
        self.assertEqual(self.client.post(url, params).status_code, 403)

    def test_course_launch(self):
        course = uuid.uuid4()
        url = "http://testserver" + reverse("lti.launch-url-auth-course", kwargs={"uuid": course})
        response = self.client.post(url, signed(url, user_id="grace"))
        self.assertEqual(response.json(), {"user": "grace", "course": str(course)})
