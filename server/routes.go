package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pacte/models"
	"pacte/static"
)

// routes registers every route of the platform: this function is the map of
// the whole surface. Routes are grouped by who may call them; a group's
// guard runs before its handlers, so a handler of a signed-in group always
// has ctxUser(c). What each person may do with a given object is decided by
// the store, through models.Can.
func (s *Server) routes() {
	// Public: anyone, signed in or not.
	public := s.group("", nil)
	public.GET("/healthz", s.handleHealthz)
	public.GET("/metrics", s.handleMetrics) // loopback or PACTE_METRICS_TOKEN (metrics.go)
	public.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", staticHandler(static.FS))))
	public.GET("/", s.pageHome)
	public.GET("/login", s.pageLogin)
	public.POST("/login", s.pageLoginSubmit)
	public.POST("/login/totp", s.pageLoginTOTPSubmit)
	public.POST("/logout", s.pageLogout)
	public.POST("/language", s.pageLanguage)
	public.GET("/invitations/:token", s.pageInvitation)
	public.POST("/invitations/:token", s.pageInvitationSubmit)
	public.POST("/invitations/:token/request", s.pageInvitationRequest)
	public.GET("/setup/:token", s.pageSetup)
	public.POST("/setup/:token", s.pageSetupSubmit)
	public.GET("/password-reset", s.pageResetRequest)
	public.POST("/password-reset", s.pageResetRequestSubmit)
	public.GET("/password-reset/:token", s.pageReset)
	public.POST("/password-reset/:token", s.pageResetSubmit)
	public.GET("/email-change/:token", s.pageEmailChange)
	public.POST("/email-change/:token", s.pageEmailChangeSubmit)
	// The one-click unsubscribe of RFC 8058: a mail client POSTs to it
	// without cookies or token; the signed link is the authority.
	public.GET("/unsubscribe/:token", s.pageUnsubscribe)
	public.POST("/unsubscribe/:token", s.pageUnsubscribeSubmit)

	// The public Pact: no account, and no cookie read or set, so that
	// every reader gets the same cacheable bytes (public.go).
	pact := s.cookielessGroup()
	pact.GET("/pacte", s.pagePact)
	pact.GET("/pacte/print", s.pagePactPrint)
	pact.GET("/pacte/feed.atom", s.pactFeed)
	pact.GET("/pacte/:ref", s.pagePublicMeasure) // <id>-<slug>; /pacte/<id> redirects there
	pact.GET("/sitemap.xml", s.sitemap)
	pact.GET("/pacte.pdf", s.pactFile("pdf"))
	pact.GET("/pacte.csv", s.pactFile("csv"))
	pact.GET("/pacte.csv.manifest", s.pactFile("csv.manifest"))
	pact.GET("/pacte.json", s.pactFile("json"))
	pact.GET("/pacte.xlsx", s.pactFile("xlsx"))
	pact.GET("/api/v1/public/measures", s.apiPublicMeasures)
	pact.GET("/.well-known/pacte-signing-key", s.signingKey)

	publicAPI := s.group("/api/v1", nil)
	publicAPI.GET("/openapi.json", s.apiOpenAPI) // the description of this API (openapi.go)
	publicAPI.POST("/session", s.apiLogin)
	publicAPI.DELETE("/session", s.apiLogout)
	publicAPI.GET("/organizations", s.apiOrganizations)
	publicAPI.GET("/taxonomy", s.apiTaxonomy)
	publicAPI.GET("/invitations/:token", s.apiInvitation)
	publicAPI.POST("/invitations/:token/accept", s.apiAcceptInvitation)
	publicAPI.POST("/password-reset", s.apiPasswordReset)
	publicAPI.POST("/password-reset/:token", s.apiPasswordResetUse)

	// Pages for every signed-in person.
	pages := s.group("", s.signedIn)
	pages.GET("/ws", s.handleWS)
	pages.GET("/profile", s.pageProfile)
	pages.POST("/profile", s.pageProfileSubmit)
	pages.POST("/profile/password", s.pagePasswordSubmit)
	pages.POST("/profile/tokens", s.pageTokenCreate)
	pages.POST("/profile/tokens/:id/delete", s.pageTokenDelete)
	pages.GET("/profile/export", s.apiExportMe)
	pages.POST("/profile/erase", s.pageEraseMe)
	pages.POST("/profile/totp/setup", s.pageTOTPSetup)
	pages.POST("/profile/totp/enable", s.pageTOTPEnable)
	pages.POST("/profile/totp/cancel", s.pageTOTPCancel)
	pages.POST("/profile/totp/disable", s.pageTOTPDisable)
	pages.GET("/people/:id", s.pagePerson) // where a mention leads
	pages.GET("/notifications", s.pageNotifications)
	pages.POST("/notifications/read", s.pageNotificationsRead)
	pages.POST("/notifications/:id/open", s.pageNotificationOpen)
	pages.POST("/profile/notifications", s.pageNotificationSettingsSubmit)
	pages.POST("/profile/email", s.pageEmailSubmit)
	pages.POST("/measures/:id/follow", s.pageFollow(true))
	pages.POST("/measures/:id/follow/delete", s.pageFollow(false))

	pages.GET("/search", s.pageSearch) // search.go, pages_search.go
	pages.GET("/measures", s.pageMeasures)
	pages.GET("/measures/:id", s.pageMeasure)
	pages.GET("/measures/:id/edit", s.pageMeasureEdit)
	pages.POST("/measures/:id/edit", s.pageMeasureSave)
	pages.GET("/measures/:id/history", s.pageHistory)
	pages.GET("/measures/:id/export.md", s.pageMeasureMarkdown)
	pages.GET("/measures/:id/export.pdf", s.pageMeasurePDF)
	pages.GET("/measures/:id/diff", s.pageDiff)
	pages.POST("/measures/:id/submit", s.pageTransition(models.TransSubmit, "measure_submitted"))
	pages.POST("/measures/:id/withdraw", s.pageTransition(models.TransWithdraw, "measure_withdrawn"))
	pages.POST("/measures/:id/amend", s.pageTransition(models.TransAmend, "measure_amended"))
	pages.POST("/measures/:id/restore", s.pageTransition(models.TransRestore, "measure_restored"))
	pages.POST("/measures/:id/open", s.pageOpenMeasure)
	pages.POST("/measures/:id/reviews", s.pageReviewSubmit)
	pages.POST("/measures/:id/publish", s.pagePublication(true))
	pages.POST("/measures/:id/unpublish", s.pagePublication(false))
	pages.GET("/measures/:id/editors", s.pageEditors)
	pages.POST("/measures/:id/editors", s.pageAddEditor)
	pages.POST("/measures/:id/editors/:user_id/delete", s.pageRemoveEditor)
	pages.POST("/measures/:id/cosponsor", s.pageCosponsor(true))
	pages.POST("/measures/:id/cosponsor/delete", s.pageCosponsor(false))

	pages.GET("/measures/:id/suggest", s.pageMeasureSuggest)
	pages.POST("/measures/:id/suggestions/accept", s.pageDecideAll(true))
	pages.POST("/measures/:id/suggestions/reject", s.pageDecideAll(false))
	pages.POST("/suggestions/:id/accept", s.pageSuggestionDecide(true))
	pages.POST("/suggestions/:id/reject", s.pageSuggestionDecide(false))
	pages.POST("/measures/:id/comments", s.pageCommentCreate)
	pages.GET("/comments/:id/item", s.pageCommentItem) // one comment, for live updates
	pages.POST("/comments/:id/edit", s.pageCommentEdit)
	pages.POST("/comments/:id/delete", s.pageCommentDelete)
	pages.POST("/comments/:id/report", s.pageCommentReport)
	pages.POST("/comments/:id/hide", s.pageCommentHide)
	pages.POST("/comments/:id/restore", s.pageCommentRestore)
	pages.POST("/comments/:id/dismiss", s.pageCommentDismiss)
	// The pages a comment's links lead to without JavaScript: the comment
	// and its form, which posts to the same address.
	for _, a := range []string{"edit", "delete", "report", "hide", "restore", "dismiss"} {
		pages.GET("/comments/:id/"+a, s.pageCommentConfirm(a))
	}

	// Pages of one role. A person outside it is told they may not (403) on
	// a list, and that the object does not exist (404) on an object's page.
	proposers := s.group("", s.allowed(models.ActCreateMeasure, ""))
	proposers.GET("/measures/new", s.pageMeasureNew)
	proposers.POST("/measures/new", s.pageMeasureCreate)
	reviewers := s.group("", s.allowed(models.ActReviewQueue, ""))
	reviewers.GET("/review", s.pageReviewQueue)
	reviewers.GET("/review/export.csv", s.pageReviewQueueCSV)
	s.group("", s.allowed(models.ActViewAudit, "")).GET("/audit", s.pageAudit)
	dashboard := s.group("", s.allowed(models.ActViewDashboard, ""))
	dashboard.GET("/dashboard", s.pageDashboard)
	dashboard.GET("/dashboard/:file", s.dashboardCSV) // <figure>.csv
	s.group("", s.allowed(models.ActModerate, "")).GET("/moderation", s.pageModeration)
	admin := s.group("/admin", s.allowed(models.ActListUsers, "User"))
	admin.GET("/users", s.pageUsers)
	admin.POST("/users/invite", s.pageInviteSubmit)
	admin.GET("/users/:id", s.pageUser)
	admin.POST("/users/:id", s.pageUserSubmit)
	admin.POST("/users/:id/invitation", s.pageUserInvitationRenew)
	admin.POST("/users/:id/erase", s.pageEraseUser)

	// The JSON API for every signed-in person (session cookie or token).
	api := s.group("/api/v1", s.signedIn)
	api.GET("/me", s.apiMe)
	api.PATCH("/me", s.apiUpdateMe)
	api.GET("/me/export", s.apiExportMe)
	api.POST("/me/erase", s.apiEraseMe)
	api.GET("/tokens", s.apiListTokens)
	api.POST("/tokens", s.apiCreateToken)
	api.DELETE("/tokens/:id", s.apiDeleteToken)
	api.GET("/users/:id", s.apiGetUser)
	api.PATCH("/users/:id", s.apiUpdateUser)
	api.POST("/users/:id/erase", s.apiEraseUser)
	api.POST("/invitations", s.apiInvite)
	api.POST("/invitations/:id/resend", s.apiResendInvitation)
	api.GET("/me/notification-settings", s.apiNotificationSettings)
	api.PUT("/me/notification-settings", s.apiPutNotificationSettings)
	api.GET("/notifications", s.apiNotifications)
	api.POST("/notifications/read", s.apiReadNotifications)
	api.GET("/events", s.apiEvents)
	api.GET("/search", s.apiSearch)

	api.GET("/measures", s.apiListMeasures)
	api.POST("/measures", s.apiCreateMeasure)
	api.GET("/measures/:id", s.apiGetMeasure)
	api.PATCH("/measures/:id", s.apiUpdateMeasure)
	api.POST("/measures/:id/editors", s.apiAddEditor)
	api.DELETE("/measures/:id/editors/:user_id", s.apiRemoveEditor)
	api.POST("/measures/:id/follow", s.apiFollow(true))
	api.DELETE("/measures/:id/follow", s.apiFollow(false))
	api.GET("/measures/:id/mentionable", s.apiMentionable)
	api.POST("/measures/:id/cosponsor", s.apiCosponsor)
	api.DELETE("/measures/:id/cosponsor", s.apiUncosponsor)
	api.POST("/measures/:id/submit", s.apiTransition(models.TransSubmit))
	api.POST("/measures/:id/withdraw", s.apiTransition(models.TransWithdraw))
	api.POST("/measures/:id/amend", s.apiTransition(models.TransAmend))
	api.POST("/measures/:id/restore", s.apiTransition(models.TransRestore))
	api.POST("/measures/:id/reviews", s.apiReviewMeasure)
	api.POST("/measures/:id/publish", s.apiPublication(true))
	api.POST("/measures/:id/unpublish", s.apiPublication(false))
	api.GET("/measures/:id/revisions", s.apiListRevisions)
	api.GET("/measures/:id/revisions/:n", s.apiGetRevision)
	api.GET("/measures/:id/diff", s.apiDiff)
	api.POST("/preview", s.apiPreview)

	api.GET("/measures/:id/suggestions", s.apiListSuggestions)
	api.POST("/measures/:id/suggestions", s.apiCreateSuggestion)
	api.POST("/measures/:id/suggestions/accept", s.apiDecideAll(true))
	api.POST("/measures/:id/suggestions/reject", s.apiDecideAll(false))
	api.POST("/suggestions/:id/accept", s.apiAcceptSuggestion)
	api.POST("/suggestions/:id/reject", s.apiRejectSuggestion)

	api.GET("/measures/:id/comments", s.apiListComments)
	api.POST("/measures/:id/comments", s.apiCreateComment)
	api.GET("/comments/:id", s.apiGetComment)
	api.PATCH("/comments/:id", s.apiEditComment)
	api.DELETE("/comments/:id", s.apiDeleteComment)
	api.POST("/comments/:id/report", s.apiReportComment)
	api.POST("/comments/:id/hide", s.apiHideComment)
	api.POST("/comments/:id/restore", s.apiRestoreComment)
	api.POST("/comments/:id/dismiss", s.apiDismissReports)

	// The JSON API of one role.
	s.group("/api/v1", s.allowed(models.ActListUsers, "User")).GET("/users", s.apiListUsers)
	auditors := s.group("/api/v1", s.allowed(models.ActViewAudit, ""))
	auditors.GET("/audit", s.apiAudit)
	auditors.GET("/audit/head", s.apiAuditHead) // the hash chain's head (models/audit_chain.go)
	s.group("/api/v1", s.allowed(models.ActViewDashboard, "")).GET("/dashboard", s.apiDashboard)
	s.group("/api/v1", s.allowed(models.ActModerate, "")).GET("/moderation/comments", s.apiModerationQueue)
}

// routeGroup adds routes under a prefix, each behind the group's guard.
// (Echo's own Group.Use would also answer unknown paths under the prefix
// through the guard, turning a 404 into a 401 for anonymous callers.)
type routeGroup struct {
	g          *echo.Group
	guard      []echo.MiddlewareFunc
	cookieless map[string]bool // non-nil: the group's routes are recorded there
}

func (s *Server) group(prefix string, guard echo.MiddlewareFunc) routeGroup {
	r := routeGroup{g: s.echo.Group(prefix)}
	if guard != nil {
		r.guard = []echo.MiddlewareFunc{guard}
	}
	return r
}

func (r routeGroup) GET(path string, h echo.HandlerFunc) {
	if r.cookieless != nil {
		r.cookieless[path] = true
	}
	r.g.GET(path, h, r.guard...)
}
func (r routeGroup) POST(path string, h echo.HandlerFunc) { r.g.POST(path, h, r.guard...) }
func (r routeGroup) PUT(path string, h echo.HandlerFunc)  { r.g.PUT(path, h, r.guard...) }
func (r routeGroup) PATCH(path string, h echo.HandlerFunc) {
	r.g.PATCH(path, h, r.guard...)
}
func (r routeGroup) DELETE(path string, h echo.HandlerFunc) {
	r.g.DELETE(path, h, r.guard...)
}

// cookielessGroup adds public GET routes that skip authentication: their
// answer is the same for everybody (authenticate checks s.cookieless).
func (s *Server) cookielessGroup() routeGroup {
	return routeGroup{g: s.echo.Group(""), cookieless: s.cookieless}
}

// signedIn lets through only a signed-in person (401 otherwise: a page
// answers with the sign-in form).
func (s *Server) signedIn(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if ctxUser(c) == nil {
			return errSignIn
		}
		return next(c)
	}
}

// allowed lets through a signed-in person whom the policy allows the
// action (an area of one role: the review queue, moderation, accounts).
// On a route naming one object, a refusal is a 404 for that object
// (object, e.g. "User"), so that ids cannot be probed.
func (s *Server) allowed(act models.Action, object string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u := ctxUser(c)
			if u == nil {
				return errSignIn
			}
			if err := models.Check(u, act, nil); err != nil {
				if object != "" && len(c.ParamNames()) > 0 {
					return models.NotFound(object)
				}
				return err
			}
			return next(c)
		}
	}
}

// errSignIn answers a signed-in route called anonymously.
var errSignIn = models.CodedError(models.EUnauthorized, "unauthorized", "Please sign in.")
