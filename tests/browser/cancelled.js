// Which failed requests are the browser cancelling, not the site failing. Shared by the
// simulator and dashboard tests, so both watch the page by the same rule.
'use strict';

/**
 * True for a request the browser cancelled on its own behalf: a download handed to the
 * download manager (a blob: URL), or a poll or an image still loading when the test reloads
 * or navigates away. The sites' own code never aborts a request (the dashboard's OIDC client
 * only after seconds without an answer, which the local server does not take), so
 * net::ERR_ABORTED on these comes from the browser; a server error still shows as its HTTP
 * status and any other network error still counts.
 */
function cancelledByBrowser(request) {
  const failure = request.failure();
  if (!failure || failure.errorText !== 'net::ERR_ABORTED') return false;
  return request.url().startsWith('blob:') || ['image', 'fetch'].includes(request.resourceType());
}

module.exports = { cancelledByBrowser };
