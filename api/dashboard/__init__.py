"""Server-rendered pages for the staff and the legal team: the book, one account, the legal inbox.

Plain HTML forms, no JavaScript and no inline style (the pages' CSP allows neither: see `signin.SECURITY_HEADERS`).
Every form POSTs and is redirected back (POST/redirect/GET), with the outcome carried to the next page in a one-shot
flash cookie.

- `signin`: sign-in, sessions and CSRF, and the frame of every page (security headers, error pages, rendering with
  `Jinja2Templates`, the flash message);
- `views`: what the pages show, shaped from statuses, reports and forms (pure);
- `pages`: the book, one account and its command forms, the legal inbox;
- `work`: My work, each person's queue, and one task's page (claim, release, reassign, complete), through the work
  queue API's code (`api.tasks`);
- `insight`: the leads' figures (the month's KPIs, cohorts, the aging trend and roll rates, collectors, experiments,
  exports) and the policy simulator.
"""

from fastapi import APIRouter

from api.dashboard import insight, pages, signin, work

router = APIRouter(include_in_schema=False)  # every route of the dashboard, under /dashboard
router.include_router(signin.router)
router.include_router(pages.router)
router.include_router(work.router)
router.include_router(insight.router)
