package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"pacte/static"
)

// routes registers every page and API route. Each resource's handlers live in
// their own file; this list is the map of the whole surface.
func (s *Server) routes() {
	e := s.echo
	e.GET("/healthz", s.handleHealthz)
	e.GET("/metrics", s.handleMetrics)
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", staticHandler(static.FS))))

	api := e.Group("/api/v1")
	api.GET("/openapi.json", s.apiOpenAPI)
	api.POST("/session", s.apiLogin)
	api.DELETE("/session", s.apiLogout)
	api.GET("/me", s.apiMe)
	api.GET("/tokens", s.apiListTokens)
	api.POST("/tokens", s.apiCreateToken)
	api.DELETE("/tokens/:id", s.apiDeleteToken)
	api.GET("/organizations", s.apiOrganizations)
	api.GET("/taxonomy", s.apiTaxonomy)
	api.POST("/invitations", s.apiInvite)
	api.GET("/invitations/:token", s.apiInvitation)
	api.POST("/invitations/:token/accept", s.apiAcceptInvitation)
	api.GET("/users", s.apiListUsers)
	api.GET("/users/:id", s.apiGetUser)
	api.PATCH("/users/:id", s.apiUpdateUser)
	api.PATCH("/me", s.apiUpdateMe)
	api.GET("/me/export", s.apiExportMe)
	api.GET("/notifications", s.apiNotifications)
	api.POST("/notifications/read", s.apiReadNotifications)

	e.GET("/", s.pageHome)
	e.GET("/login", s.pageLogin)
	e.POST("/login", s.pageLoginSubmit)
	e.POST("/logout", s.pageLogout)
	e.POST("/language", s.pageLanguage)
	e.GET("/invitations/:token", s.pageInvitation)
	e.POST("/invitations/:token", s.pageInvitationSubmit)
	e.GET("/setup/:token", s.pageSetup)
	e.POST("/setup/:token", s.pageSetupSubmit)
	e.GET("/profile", s.pageProfile)
	e.POST("/profile", s.pageProfileSubmit)
	e.POST("/profile/password", s.pagePasswordSubmit)
	e.POST("/profile/tokens", s.pageTokenCreate)
	e.POST("/profile/tokens/:id/delete", s.pageTokenDelete)
	e.GET("/profile/export", s.apiExportMe)
	e.GET("/notifications", s.pageNotifications)
	e.POST("/notifications/read", s.pageNotificationsRead)
	e.POST("/notifications/:id/open", s.pageNotificationOpen)
	e.GET("/admin/users", s.pageUsers)
	e.POST("/admin/users/invite", s.pageInviteSubmit)
	e.GET("/admin/users/:id", s.pageUser)
	e.POST("/admin/users/:id", s.pageUserSubmit)

	e.GET("/comments/:id/item", s.pageCommentItem)
	api.POST("/invitations/:id/resend", s.apiResendInvitation)
	e.POST("/invitations/:token/request", s.pageInvitationRequest)
	e.POST("/admin/users/:id/invitation", s.pageUserInvitationRenew)

	for _, register := range extraRoutes {
		register(s, e, api)
	}
}

// extraRoutes lets each feature file add its routes from an init function,
// so features do not all edit this file.
var extraRoutes []func(s *Server, e *echo.Echo, api *echo.Group)
