// OkrGrid's start-up script: starts Blazor with a reconnection policy fit for a kiosk (retry forever, no button to
// press), drives the lost-connection banner, and reloads the page when the server has restarted (the old circuit
// is gone, so the only way back is a fresh page).
(() => {
    'use strict';
    const delays = [0, 1000, 2000, 3000, 5000];
    const delay = attempt => delays[attempt] ?? 5000;

    Blazor.start({
        circuit: {
            reconnectionOptions: {
                maxRetries: Number.MAX_SAFE_INTEGER,   // a wall display has nobody to click "retry"
                retryIntervalMilliseconds: delay,
            },
        },
    });

    const banner = document.getElementById('components-reconnect-modal');
    const detail = document.getElementById('okr-reconnect-detail');
    if (!banner || !detail) return;
    let lostAt = 0;
    let ticker = 0;

    const setState = state => {
        banner.dataset.state = state;
        document.documentElement.classList.toggle('okr-offline', state !== 'hide');
    };
    const describe = extra => {
        const seconds = Math.max(0, Math.round((Date.now() - lostAt) / 1000));
        detail.textContent = `${seconds < 2 ? 'just now' : `for ${seconds} s`} · ${extra}`;
    };

    // When the server answers again but no longer knows our circuit (it restarted), load the page afresh — once
    // the server is healthy, so that a kiosk never lands on a browser error page.
    const reloadWhenHealthy = async () => {
        describe('server is back, reloading…');
        try {
            const response = await fetch('healthz', { cache: 'no-store' });
            if (response.ok) { location.reload(); return; }
        } catch { /* not yet */ }
        setTimeout(reloadWhenHealthy, 2000);
    };

    banner.addEventListener('components-reconnect-state-changed', event => {
        const { state, currentAttempt, secondsToNextAttempt } = event.detail;
        switch (state) {
            case 'show':
                lostAt = Date.now();
                setState('show');
                describe('reconnecting…');
                clearInterval(ticker);
                ticker = setInterval(() => describe(banner.dataset.retry || 'reconnecting…'), 1000);
                break;
            case 'retrying':
                banner.dataset.retry = secondsToNextAttempt > 0
                    ? `retrying in ${secondsToNextAttempt} s (attempt ${currentAttempt})`
                    : `retrying (attempt ${currentAttempt})…`;
                describe(banner.dataset.retry);
                break;
            case 'hide':
                clearInterval(ticker);
                delete banner.dataset.retry;
                setState('hide');
                break;
            case 'failed':
            case 'resume-failed':
            case 'rejected':
                clearInterval(ticker);
                setState('show');
                reloadWhenHealthy();
                break;
        }
    });
})();

// Small helpers the components call through JS interop.
window.okrgrid = {
    timeZone: () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
};
