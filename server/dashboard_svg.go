package server

import (
	"fmt"
	"html/template"
	"math"
	"strings"
	"unicode/utf8"
)

// The dashboard's charts, drawn on the server as inline SVG: no script is
// needed to see them, they print, and the page's stylesheet colours them
// (static/css/dashboard.css: a class per series, patterns for the series
// that must not be told by colour alone).
//
// A chart scales to its container (viewBox, width 100%), and so does its
// text: one drawing cannot be readable both on a 390 px phone and across a
// desktop column. Each chart is therefore drawn twice, narrowWidth units
// wide for phones and wider for larger screens (dashboard.css shows one),
// so that a unit is about a pixel on both. Charts are laid out left to
// right and mirrored for right-to-left pages: x becomes width-x, and with
// direction="rtl" text-anchor start and end swap sides by themselves, so
// labels keep to the bars' start.
//
// The charts are images (role="img") named by the figure's heading and
// one-sentence summary; the numbers are in the table beside each chart.

const (
	narrowWidth = 340.0 // phones
	normalWidth = 480.0 // a column of the desktop's grid
	wideWidth   = 720.0 // a figure across the grid (weeks)
	fontSize    = 13.0
)

// charts is a chart drawn for phones and for larger screens.
type charts struct {
	Narrow, Wide template.HTML
}

// drawBoth draws a chart at the phone's width and at wide.
func drawBoth(wide float64, draw func(width float64) template.HTML) charts {
	return charts{Narrow: draw(narrowWidth), Wide: draw(wide)}
}

// svgCanvas writes one chart, w units wide.
type svgCanvas struct {
	b   strings.Builder
	w   float64
	rtl bool
}

// x maps a left-to-right abscissa to the page's direction.
func (c *svgCanvas) x(x float64) float64 {
	if c.rtl {
		return c.w - x
	}
	return x
}

// rectX is where a box from x to x+w starts in the page's direction.
func (c *svgCanvas) rectX(x, w float64) float64 {
	if c.rtl {
		return c.w - x - w
	}
	return x
}

func (c *svgCanvas) rect(x, y, w, h float64, class string) {
	if w <= 0 || h <= 0 {
		return
	}
	fmt.Fprintf(&c.b, `<rect x="%s" y="%s" width="%s" height="%s" class="%s"/>`, num(c.rectX(x, w)), num(y), num(w), num(h), class)
}

// text writes a label at x (left to right) on baseline y; anchor is
// start, middle or end, in reading order.
func (c *svgCanvas) text(x, y float64, anchor, class, s string) {
	fmt.Fprintf(&c.b, `<text x="%s" y="%s" text-anchor="%s" class="%s">%s</text>`, num(c.x(x)), num(y), anchor, class, template.HTMLEscapeString(s))
}

func (c *svgCanvas) line(x1, y1, x2, y2 float64, class string) {
	fmt.Fprintf(&c.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" class="%s"/>`, num(c.x(x1)), num(y1), num(c.x(x2)), num(y2), class)
}

// svg wraps what was drawn, height units tall, labelled by the elements
// with the ids in labelledBy (the figure's heading and summary).
func (c *svgCanvas) svg(height float64, labelledBy string) template.HTML {
	dir := "ltr"
	if c.rtl {
		dir = "rtl"
	}
	return template.HTML(fmt.Sprintf(`<svg class="dash-chart" viewBox="0 0 %s %s" width="100%%" role="img" aria-labelledby="%s" focusable="false" direction="%s" font-size="%s">%s</svg>`,
		num(c.w), num(math.Ceil(height)), template.HTMLEscapeString(labelledBy), dir, num(fontSize), c.b.String()))
}

// num writes a coordinate with at most one decimal.
func num(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}

// clip shortens a label to n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// hbarRow is a row of a horizontal bar chart: a label on its own line, then
// one bar per series (grouped), each made of segments (stacked).
type hbarRow struct {
	Label string
	Bars  []hbar
}

type hbar struct {
	Segments []hbarSegment
	Value    string // written after the bar (its total)
}

type hbarSegment struct {
	Value float64
	Class string // the series' class (dashboard.css)
	Text  string // written inside when it fits
}

// hbarChart draws rows of horizontal bars on one scale. Labels sit above
// their bars, so long names (pillars, measure titles) need no margin and
// the chart keeps its width on a phone.
func hbarChart(rows []hbarRow, rtl bool, width float64, labelledBy string) template.HTML {
	const barH, barGap, labelH, rowGap, valueRoom = 16.0, 4.0, 17.0, 9.0, 46.0
	top := 0.0
	for _, r := range rows {
		for _, b := range r.Bars {
			sum := 0.0
			for _, s := range b.Segments {
				sum += s.Value
			}
			top = math.Max(top, sum)
		}
	}
	scale := 0.0
	if top > 0 {
		scale = (width - valueRoom) / top
	}
	c := &svgCanvas{w: width, rtl: rtl}
	y := 0.0
	for _, r := range rows {
		c.text(0, y+fontSize, "start", "dash-label", clip(r.Label, int(width/6.6)))
		y += labelH + 2
		for _, b := range r.Bars {
			x := 0.0
			for _, s := range b.Segments {
				w := s.Value * scale
				c.rect(x, y, w, barH, s.Class)
				if s.Text != "" && w >= float64(utf8.RuneCountInString(s.Text))*7.5+6 {
					c.text(x+w/2, y+barH-4, "middle", "dash-inner", s.Text)
				}
				x += w
			}
			c.text(x+4, y+barH-3.5, "start", "dash-value", b.Value)
			y += barH + barGap
		}
		y += rowGap
	}
	return c.svg(y, labelledBy)
}

// lineSeries is one series of a chart over weeks.
type lineSeries struct {
	Class  string // dash-line-<name>: colour, dashes and marker (dashboard.css)
	Marker string // circle, square or triangle: told apart without colour
	Values []float64
}

// timeAxes draws the frame of a chart over n periods: horizontal grid lines
// with their values, and every few periods' label under the plot. It
// returns the plot's geometry: band(i) is the centre of period i and y(v)
// the height of value v.
func timeAxes(c *svgCanvas, labels []string, top float64, format func(float64) string) (band func(int) float64, bandW float64, y func(float64) float64, height float64) {
	const marginTop, marginBottom, marginStart, marginEnd, plotH = 10.0, 26.0, 38.0, 8.0, 150.0
	ticks := niceTicks(top)
	ymax := ticks[len(ticks)-1]
	n := max(len(labels), 1)
	bandW = (c.w - marginStart - marginEnd) / float64(n)
	band = func(i int) float64 { return marginStart + (float64(i)+0.5)*bandW }
	y = func(v float64) float64 { return marginTop + plotH*(1-v/ymax) }
	for _, t := range ticks {
		c.line(marginStart, y(t), c.w-marginEnd, y(t), "dash-gridline")
		c.text(marginStart-5, y(t)+4, "end", "dash-tick", format(t))
	}
	// A label every 60 units at most, evenly spaced, the last period
	// always named.
	every := int(math.Ceil(float64(len(labels)) / math.Floor(c.w/60)))
	for i := len(labels) - 1; i >= 0; i -= max(every, 1) {
		c.text(band(i), marginTop+plotH+17, "middle", "dash-tick", labels[i])
		c.line(band(i), marginTop+plotH, band(i), marginTop+plotH+4, "dash-axis")
	}
	c.line(marginStart, marginTop+plotH, c.w-marginEnd, marginTop+plotH, "dash-axis")
	return band, bandW, y, marginTop + plotH + marginBottom
}

// lineChart draws series over periods, each with its own dashes and
// markers.
func lineChart(labels []string, series []lineSeries, rtl bool, width float64, format func(float64) string, labelledBy string) template.HTML {
	top := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			top = math.Max(top, v)
		}
	}
	c := &svgCanvas{w: width, rtl: rtl}
	band, _, y, height := timeAxes(c, labels, top, format)
	for _, s := range series {
		var path strings.Builder
		for i, v := range s.Values {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%s %s ", cmd, num(c.x(band(i))), num(y(v)))
		}
		fmt.Fprintf(&c.b, `<path d="%s" class="%s"/>`, strings.TrimSpace(path.String()), s.Class)
		if float64(len(s.Values)) > width/10 {
			continue // markers would merge into a line
		}
		for i, v := range s.Values {
			c.b.WriteString(marker(s.Marker, c.x(band(i)), y(v), s.Class+"-marker"))
		}
	}
	return c.svg(height, labelledBy)
}

// marker draws a point of a series.
func marker(shape string, x, y float64, class string) string {
	switch shape {
	case "square":
		return fmt.Sprintf(`<rect x="%s" y="%s" width="7" height="7" class="%s"/>`, num(x-3.5), num(y-3.5), class)
	case "triangle":
		return fmt.Sprintf(`<path d="M%s %sL%s %sL%s %sZ" class="%s"/>`, num(x), num(y-4.5), num(x+4.5), num(y+3.5), num(x-4.5), num(y+3.5), class)
	}
	return fmt.Sprintf(`<circle cx="%s" cy="%s" r="3.5" class="%s"/>`, num(x), num(y), class)
}

// columnChart draws one value per period as a column.
func columnChart(labels []string, values []float64, class string, rtl bool, width float64, format func(float64) string, labelledBy string) template.HTML {
	top := 0.0
	for _, v := range values {
		top = math.Max(top, v)
	}
	c := &svgCanvas{w: width, rtl: rtl}
	band, bandW, y, height := timeAxes(c, labels, top, format)
	w := math.Max(bandW*0.7, 1)
	for i, v := range values {
		c.rect(band(i)-w/2, y(v), w, y(0)-y(v), class)
	}
	return c.svg(height, labelledBy)
}

// niceTicks gives four or five round grid values from 0 to at least top.
func niceTicks(top float64) []float64 {
	if top <= 0 {
		return []float64{0, 1}
	}
	raw := top / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	step = math.Max(step, 1) // counts: no fractional grid lines
	out := []float64{0}
	for v := step; ; v += step {
		out = append(out, v)
		if v >= top {
			return out
		}
	}
}

// matrixChart draws a table of counts as shaded cells with their numbers:
// rows and columns name the same things (federations); a cell where row
// and column are one thing is marked not applicable. The shade repeats the
// number, which is always written.
func matrixChart(rowTitle, colTitle string, labels []string, cells [][]int64, rtl bool, width float64, format func(float64) string, labelledBy string) template.HTML {
	const labelW, headH, cellH = 64.0, 40.0, 30.0
	n := max(len(labels), 1)
	cellW := math.Min((width-labelW)/float64(n), 84)
	top := int64(0)
	for _, r := range cells {
		for _, v := range r {
			top = max(top, v)
		}
	}
	c := &svgCanvas{w: width, rtl: rtl}
	c.text(0, 13, "start", "dash-axis-title", rowTitle)
	c.text(labelW+cellW*float64(n)/2, 13, "middle", "dash-axis-title", colTitle)
	for j, l := range labels {
		c.text(labelW+cellW*(float64(j)+0.5), headH-8, "middle", "dash-label", clip(l, 9))
	}
	for i, l := range labels {
		y := headH + cellH*float64(i)
		c.text(0, y+cellH/2+4.5, "start", "dash-label", clip(l, 9))
		for j := range labels {
			x := labelW + cellW*float64(j)
			if i == j {
				c.rect(x+1, y+1, cellW-2, cellH-2, "dash-heat-na")
				c.text(x+cellW/2, y+cellH/2+4.5, "middle", "dash-heat-text", "—")
				continue
			}
			v := cells[i][j]
			level := 0
			if v > 0 && top > 0 {
				level = 1 + int(math.Min(3, math.Floor(float64(v)*4/float64(top+1))))
			}
			c.rect(x+1, y+1, cellW-2, cellH-2, fmt.Sprintf("dash-heat-%d", level))
			textClass := "dash-heat-text"
			if level >= 3 {
				textClass = "dash-heat-text-light"
			}
			c.text(x+cellW/2, y+cellH/2+4.5, "middle", textClass, format(float64(v)))
		}
	}
	return c.svg(headH+cellH*float64(len(labels))+4, labelledBy)
}

// swatch is a legend's sample of a series: a square of its fill, or a
// stretch of its line with its marker.
func swatch(class, shape string) template.HTML {
	if shape == "" {
		return template.HTML(fmt.Sprintf(`<svg class="dash-swatch" viewBox="0 0 16 16" aria-hidden="true" focusable="false"><rect x="1" y="1" width="14" height="14" class="%s"/></svg>`, class))
	}
	return template.HTML(fmt.Sprintf(`<svg class="dash-swatch dash-swatch-line" viewBox="0 0 28 16" aria-hidden="true" focusable="false"><path d="M1 8L27 8" class="%s"/>%s</svg>`,
		class, marker(shape, 14, 8, class+"-marker")))
}

// chartPatterns are the fills that add a texture to a colour (dashboard.css
// refers to them by id), defined once per page.
const chartPatterns = template.HTML(`<svg class="dash-defs" width="0" height="0" aria-hidden="true" focusable="false"><defs>` +
	`<pattern id="dash-pat-stripes-amber" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="dash-pat-amber"/><rect width="2" height="6" class="dash-pat-mark"/></pattern>` +
	`<pattern id="dash-pat-cross-red" width="7" height="7" patternUnits="userSpaceOnUse"><rect width="7" height="7" class="dash-pat-red"/><path d="M0 0L7 7M7 0L0 7" class="dash-pat-line"/></pattern>` +
	`<pattern id="dash-pat-dots-purple" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" class="dash-pat-purple"/><circle cx="3" cy="3" r="1.3" class="dash-pat-mark"/></pattern>` +
	`<pattern id="dash-pat-stripes-blue" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(-45)"><rect width="6" height="6" class="dash-pat-blue"/><rect width="2" height="6" class="dash-pat-mark"/></pattern>` +
	`<pattern id="dash-pat-stripes-green" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" class="dash-pat-green"/><rect width="2" height="6" class="dash-pat-mark"/></pattern>` +
	`</defs></svg>`)
