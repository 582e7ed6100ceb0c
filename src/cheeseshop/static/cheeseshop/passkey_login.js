// "Sign in with a passkey" on the login page: allauth's passkey login form, wired here so the
// page needs no inline script or data block (the CSP allows scripts from this site only).
document.addEventListener('DOMContentLoaded', function () {
  if (document.getElementById('passkey_login') && window.allauth && window.allauth.webauthn) {
    window.allauth.webauthn.forms.loginForm({
      ids: { login: 'passkey_login', credential: 'mfa_credential' }
    })
  }
})
