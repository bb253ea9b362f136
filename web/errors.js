// errors.js: human messages for the API's error codes (api.md "Errors"),
// and the placement of a validation error next to the field it names.
import { ApiError } from './session.js';

const MESSAGES = {
  unauthorized: 'Your session has ended. Please sign in again.',
  token_expired: 'Your session has expired. Please sign in again.',
  invalid_credentials: 'Wrong password.',
  forbidden: 'You do not have permission to do this (an admin role is needed).',
  org_mismatch: 'That belongs to another organization.',
  reauthentication_required: 'Please confirm your password to continue.',
  csrf_failed: 'The request was refused as a possible cross-site request. Reload the page and try again.',
  https_required: 'This server must be reached over HTTPS.',
  not_found: 'Not found (or not available on this server yet).',
  method_not_allowed: 'This server does not support that action yet.',
  payload_too_large: 'That is too large.',
  internal_error: 'Something went wrong on the server. Please try again.',
};

/** The message to show for an error thrown by api.call (or anything else). */
export function messageFor(e) {
  if (!(e instanceof ApiError)) return 'Something went wrong. Please try again.';
  if (e.code === 'rate_limit_exceeded') return `Too many requests: try again in ${e.retryAfter ?? 1} s.`;
  if (e.code === 'unavailable') return `The service is unavailable: try again in ${e.retryAfter ?? 5} s.`;
  if (e.code === 'network') return e.message;
  if (e.code === 'invalid_request' || e.code === 'conflict') return e.message;
  return MESSAGES[e.code] || e.message || `Error ${e.status}.`;
}

/**
 * Show an error on a form: a field named by `param` gets the message under
 * it (aria-describedby, aria-invalid) and the focus; otherwise the form's
 * general error line (an element [data-role=form-error]) gets it.
 * fields: {param: inputElement}. e: an ApiError, or {message, param}.
 */
export function showFormError(form, e, fields = {}) {
  clearFormError(form);
  // A plain {message, param} is a check made here before calling the API.
  const msg = e instanceof ApiError || !e?.message ? messageFor(e) : e.message;
  const input = e?.param ? fields[e.param] : null;
  if (input) {
    const p = document.createElement('p');
    p.className = 'error field-error';
    p.id = `${input.id}-error`;
    p.textContent = msg;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', p.id);
    input.insertAdjacentElement('afterend', p);
    input.focus();
    return;
  }
  const line = form.querySelector('[data-role=form-error]');
  if (line) line.textContent = msg;
}

export function clearFormError(form) {
  for (const p of form.querySelectorAll('.field-error')) p.remove();
  for (const i of form.querySelectorAll('[aria-invalid]')) {
    i.removeAttribute('aria-invalid');
    i.removeAttribute('aria-describedby');
  }
  const line = form.querySelector('[data-role=form-error]');
  if (line) line.textContent = '';
}
