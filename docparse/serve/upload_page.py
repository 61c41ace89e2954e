"""``GET /``: a small upload page. Choose a file, watch it parse, then look at the viewer.

One self-contained HTML document: no external resource, one script and one style. Its
script does everything through the public API (``POST /v1/jobs``, ``GET /v1/jobs/{id}``,
``GET /v1/jobs/{id}/view?embed=true``) and, when the service has keys, sends the key typed
into the page as ``Authorization: Bearer`` on every call; the page itself needs no key (it
holds nothing) and never stores the key.

The viewer is shown in an ``<iframe sandbox="allow-scripts" srcdoc=...>``: an opaque origin,
so nothing in it can reach this page or the key. (Not a ``blob:`` URL: Chromium ignores
fragment navigations of a sandboxed frame showing one, and the viewer's links are fragments.
In ``srcdoc`` the viewer's script follows its links itself, since an ``#id`` href there
resolves against this page's address.) Such a frame inherits this page's
Content-Security-Policy on top of its own, so this policy must allow what the viewer runs:
the viewer's script by its (fixed) hash, its pictures as ``data:``, and its one ``<style>``,
whose hash changes with every document, hence ``style-src 'unsafe-inline'`` here. Scripts
stay hash-only, and inside the frame the viewer's own policy still admits only its own
style and script by hash, so the viewer is exactly as locked down as when opened as a file.
"""

from __future__ import annotations

import base64
import functools
import hashlib

_STYLE = """
:root{font:14px/1.45 system-ui,sans-serif;color:#222;background:#eee}
body{margin:0;display:flex;flex-direction:column;height:100vh}
header{background:#fff;border-bottom:1px solid #ccc;padding:8px 12px}
h1{font-size:16px;display:inline;margin:0 12px 0 0}
form{display:inline-flex;gap:10px;align-items:center;flex-wrap:wrap}
progress{width:160px}
#status.err{color:#a00;font-weight:600}
#viewer{flex:1;display:block;width:100%;border:0;border-top:1px solid #ccc;background:#fff}
[hidden]{display:none!important}
"""

# Every text shown comes from textContent; no server answer is ever parsed as markup here
# (the viewer HTML goes only into the sandboxed frame).
_SCRIPT = r"""
(function(){
var $=function(id){return document.getElementById(id)};
var keys=document.body.getAttribute('data-keys')==='1';
$('keyrow').hidden=!keys;$('key').required=keys;
function headers(){var h={},k=$('key').value.trim();if(k)h['Authorization']='Bearer '+k;return h}
function say(text,bad){var s=$('status');s.textContent=text;s.className=bad?'err':''}
function call(url,opts){opts=opts||{};opts.headers=headers();opts.cache='no-store';
  return fetch(url,opts).then(function(r){if(r.ok)return r;
    return r.json().then(function(b){var e=new Error((b.error&&b.error.message)||('HTTP '+r.status));e.code=b.error&&b.error.code;throw e},
      function(){throw new Error('HTTP '+r.status)})})}
function sleep(ms){return new Promise(function(ok){setTimeout(ok,ms)})}
function poll(id){
  return call('v1/jobs/'+encodeURIComponent(id)).then(function(r){return r.json()}).then(function(job){
    var p=job.progress,total=p.pages_total||0;
    $('bar').max=Math.max(total,1);$('bar').value=p.pages_done;
    say(job.status+(total?': '+p.pages_done+' of '+total+' pages':''));
    if(job.status==='queued'||job.status==='running')return sleep(400).then(function(){return poll(id)});
    return job})}
function show(id,job){
  return call('v1/jobs/'+encodeURIComponent(id)+'/view?embed=true').then(function(r){return r.text()}).then(function(html){
    var f=$('viewer');f.srcdoc=html;f.hidden=false;
    say(job.status+': '+job.progress.pages_done+' of '+(job.progress.pages_total||0)+' pages'+
        (job.error?' ('+job.error.message+')':''),job.status==='failed')},
  function(e){say(job.status+': '+((job.error&&job.error.message)||e.message),true)})}
$('form').addEventListener('submit',function(ev){
  ev.preventDefault();
  var file=$('file').files[0];if(!file){say('choose a file first',true);return}
  var body=new FormData();body.append('file',file,file.name);
  $('go').disabled=true;$('viewer').hidden=true;$('bar').value=0;say('uploading '+file.name);
  call('v1/jobs',{method:'POST',body:body}).then(function(r){return r.json()}).then(function(job){
    $('viewer').setAttribute('data-job',job.id);
    return poll(job.id).then(function(done){return show(job.id,done)})
  }).catch(function(e){say(e.message,true)}).then(function(){$('go').disabled=false})});
})();
"""


def _sha256(text: str) -> str:
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


@functools.cache
def content_security_policy() -> str:
    """The page's policy (also sent as a header, with ``frame-ancestors 'none'``)."""
    from docparse.export.html_viewer import script_csp_source

    return (f"default-src 'none'; script-src {_sha256(_SCRIPT)} {script_csp_source()}; "
            "style-src 'unsafe-inline'; img-src data:; connect-src 'self'; "
            "base-uri 'none'; form-action 'none'")


@functools.cache
def upload_page(keys: bool) -> bytes:
    """The page; ``keys``: the service wants an API key (the page asks for it)."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy()}">'
            '<meta name="referrer" content="no-referrer">'
            '<meta name="viewport" content="width=device-width,initial-scale=1">'
            '<link rel="icon" href="data:,">'  # no favicon request (it would be a 404)
            f'<title>docparse</title><style>{_STYLE}</style></head>'
            f'<body data-keys="{1 if keys else 0}"><header><h1>docparse</h1>'
            '<form id="form"><span id="keyrow"><label>API key '
            '<input id="key" type="password" autocomplete="off" size="22"></label></span>'
            '<input id="file" type="file"> <button id="go" type="submit">Parse</button>'
            '<progress id="bar" value="0" max="1"></progress>'
            '<span id="status" role="status"></span></form></header>'
            '<iframe id="viewer" sandbox="allow-scripts" title="the parsed document" hidden>'
            f'</iframe><script>{_SCRIPT}</script></body></html>\n').encode()
