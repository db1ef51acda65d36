/* html_overlap.js — injected into a copy of a report page by
 * html_overlap.sh: for every SVG plot, the rendered box of every <text>
 * (getBoundingClientRect: transforms and the real font included) must
 * touch no other text's box, and must lie within the box the layout
 * estimated for it (data-box, svg_plot.c), and must lie inside the
 * plot's SVG (not clipped): the layout, not luck, keeps them apart. The result goes into <pre id="overlap-result">. */
(function () {
	var out = [], texts = 0, plots = 0;
	var svgs = document.querySelectorAll('svg.plot');
	for (var s = 0; s < svgs.length; s++) {
		plots++;
		var svg = svgs[s], id = (svg.querySelector('title') || {}).id || ('#' + s);
		var org = svg.getBoundingClientRect();
		var ts = svg.querySelectorAll('text'), boxes = [];
		for (var i = 0; i < ts.length; i++) {
			var r = ts[i].getBoundingClientRect();
			if (r.width === 0 || r.height === 0)
				continue;
			texts++;
			var b = { x0: r.left - org.left, y0: r.top - org.top, x1: r.right - org.left,
				  y1: r.bottom - org.top, t: ts[i].textContent };
			boxes.push(b);
			var est = (ts[i].getAttribute('data-box') || '').split(' ').map(Number);
			if (est.length !== 4)
				out.push(id + ': text without data-box: ' + b.t);
			if (b.x0 < -1 || b.y0 < -1 || b.x1 > org.width + 1 || b.y1 > org.height + 1)
				out.push(id + ': "' + b.t + '" [' + [b.x0, b.y0, b.x1, b.y1].map(Math.round) +
					 '] runs off the plot (' + Math.round(org.width) + 'x' + Math.round(org.height) + ')');
			if (est.length === 4 && (b.x0 < est[0] - 1 || b.x1 > est[2] + 1 || b.y0 < est[1] - 1 || b.y1 > est[3] + 1))
				out.push(id + ': rendered box of "' + b.t + '" [' + [b.x0, b.y0, b.x1, b.y1].map(Math.round) +
					 '] outside the layout\'s [' + est + ']');
		}
		for (var a = 0; a < boxes.length; a++)
			for (var c = a + 1; c < boxes.length; c++) {
				var p = boxes[a], q = boxes[c];
				if (p.x0 < q.x1 - 0.5 && q.x0 < p.x1 - 0.5 && p.y0 < q.y1 - 0.5 && q.y0 < p.y1 - 0.5)
					out.push(id + ': "' + p.t + '" overlaps "' + q.t + '"');
			}
	}
	var pre = document.createElement('pre');
	pre.id = 'overlap-result';
	pre.textContent = 'plots ' + plots + ' texts ' + texts + '\n' + (out.length ? out.join('\n') : 'NO-OVERLAP');
	document.body.appendChild(pre);
})();
