// The operations view of `baton ops`: plain ES2020, no framework and no
// build step. Every value that comes from the store reaches the page
// through textContent, createTextNode or attribute setters, never through
// innerHTML: a variable holding markup is shown as text.
'use strict';

(function () {
  const STATES = ['ACTIVE', 'WAITING', 'INCIDENT', 'COMPLETED', 'TERMINATED', 'FAILED'];
  const ENDED = ['COMPLETED', 'TERMINATED', 'FAILED'];
  const PAGE_SIZE = 50;

  const session = { csrf: null, readOnly: true, store: '', version: '' };
  let generation = 0; // the newest render; older ones drop their results
  let viewer = null;  // the bpmn-js viewer of the instance page

  // ---------------------------------------------------------------- JSON

  // Keys are 64-bit integers; a JavaScript number keeps integers exactly
  // only up to 2^53. The store's keys stay below that in practice (their
  // upper 32 bits are small), but a larger one must not be rounded: with
  // the JSON.parse source-text access of current browsers, an integer
  // beyond 2^53 becomes JSON.rawJSON of its digits, which keyText() prints
  // and JSON.stringify() writes back unchanged. Keys are only ever printed
  // and put into URLs, never computed with.
  function reviveBig(name, value, context) {
    if (typeof value === 'number' && !Number.isSafeInteger(value) &&
        Number.isInteger(value) && context && typeof context.source === 'string' &&
        typeof JSON.rawJSON === 'function') {
      return JSON.rawJSON(context.source);
    }
    return value;
  }

  function parseJson(text) {
    return JSON.parse(text, reviveBig);
  }

  function keyText(key) {
    if (key === null || key === undefined) return '';
    if (typeof key === 'object' && typeof key.rawJSON === 'string') return key.rawJSON;
    return String(key);
  }

  function jsonText(value) {
    return JSON.stringify(value);
  }

  // ------------------------------------------------------------------ DOM

  // el('td', {class: 'state'}, 'text', child): children that are strings
  // become text nodes; attributes go through setAttribute.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [name, value] of Object.entries(attrs)) {
        if (value === null || value === undefined || value === false) continue;
        if (name.startsWith('on') && typeof value === 'function') {
          node.addEventListener(name.slice(2), value);
        } else {
          node.setAttribute(name, value === true ? '' : String(value));
        }
      }
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) append(node, child);
      else if (child instanceof Node) node.appendChild(child);
      else node.appendChild(document.createTextNode(String(child)));
    }
  }

  function table(id, headings, rows, empty) {
    const head = el('thead', null, el('tr', null, headings.map((h) => el('th', { scope: 'col' }, h))));
    const body = el('tbody', null, rows);
    if (rows.length === 0 && empty) {
      body.appendChild(el('tr', { class: 'empty' }, el('td', { colspan: headings.length }, empty)));
    }
    return el('table', { id: id, class: 'data' }, head, body);
  }

  function iso(ms) {
    if (ms === null || ms === undefined || ms === '') return '';
    const d = new Date(Number(ms));
    return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
  }

  function stateBadge(state) {
    return el('span', { class: 'state-badge state-' + String(state).toLowerCase() }, state);
  }

  function instanceHref(key) {
    return '#/instances/' + encodeURIComponent(keyText(key));
  }

  function instancesHref(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) {
      if (v !== null && v !== undefined && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    return '#/instances' + (s ? '?' + s : '');
  }

  function setMessage(text, kind) {
    const box = document.getElementById('message');
    box.textContent = text || '';
    box.className = kind || 'info';
    box.hidden = !text;
  }

  // ------------------------------------------------------------------ API

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function request(path, options) {
    const response = await fetch(path, Object.assign({ credentials: 'same-origin' }, options));
    const text = await response.text();
    const type = response.headers.get('Content-Type') || '';
    if (!response.ok) {
      let message = 'HTTP ' + response.status;
      if (type.includes('json')) {
        try {
          const body = parseJson(text);
          if (body && typeof body.error === 'string') message = body.error + ' (HTTP ' + response.status + ')';
        } catch (e) { /* not JSON after all: keep the status */ }
      }
      if (response.status === 401) message += ': sign in at /login';
      throw new ApiError(response.status, message);
    }
    return type.includes('json') ? parseJson(text) : text;
  }

  function get(path) {
    return request(path, { method: 'GET' });
  }

  function post(path, body) {
    return request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf || '' },
      body: JSON.stringify(body)
    });
  }

  // Runs an operator action, then reloads the page's data and says what
  // happened in #message.
  async function act(label, path, body) {
    if (session.readOnly) {
      setMessage('The server is read-only.', 'error');
      return;
    }
    try {
      await post(path, body);
      await render();
      setMessage(label + ': done.', 'ok');
    } catch (e) {
      await render();
      setMessage(label + ' failed: ' + e.message, 'error');
    }
  }

  // --------------------------------------------------------------- router

  function parseRoute() {
    const hash = location.hash.replace(/^#/, '') || '/processes';
    const qi = hash.indexOf('?');
    const path = qi < 0 ? hash : hash.slice(0, qi);
    const query = new URLSearchParams(qi < 0 ? '' : hash.slice(qi + 1));
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] === 'instances' && parts.length === 2) return { page: 'instance', key: parts[1], query };
    if (parts[0] === 'instances') return { page: 'instances', query };
    if (parts[0] === 'incidents') return { page: 'incidents', query };
    return { page: 'processes', query };
  }

  async function render() {
    const mine = ++generation;
    const route = parseRoute();
    document.body.removeAttribute('data-ready');
    for (const a of document.querySelectorAll('a[data-nav]')) {
      const current = a.getAttribute('data-nav') === (route.page === 'instance' ? 'instances' : route.page);
      if (current) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const pages = { processes: renderProcesses, instances: renderInstances, instance: renderInstance, incidents: renderIncidents };
    let content;
    try {
      content = await pages[route.page](route, () => mine === generation);
    } catch (e) {
      content = el('section', { class: 'failed' }, el('h1', null, 'Could not load this page'));
      if (mine === generation) setMessage(e.message, 'error');
    }
    if (mine !== generation) return;
    const view = document.getElementById('view');
    if (content) view.replaceChildren(content);
    if (route.page === 'instance' && content && content.id === 'instance') {
      await drawDiagram(content, () => mine === generation);
      if (mine !== generation) return;
    }
    document.body.setAttribute('data-ready', route.page);
  }

  // ------------------------------------------------------------ processes

  async function renderProcesses() {
    const deployments = await get('/api/processes');
    deployments.sort((a, b) => String(a.processId).localeCompare(String(b.processId)) || b.version - a.version);
    const rows = deployments.map((d) => {
      const counts = d.instances || {};
      const total = STATES.reduce((n, s) => n + (Number(counts[s]) || 0), 0);
      const base = { process: d.processId, version: d.version };
      return el('tr', { 'data-process-id': d.processId, 'data-version': d.version },
        el('td', null, el('a', { href: instancesHref(base), class: 'process-link' }, d.processId),
          d.name ? el('div', { class: 'sub' }, d.name) : null),
        el('td', { class: 'num' }, String(d.version)),
        el('td', null, iso(d.deployed)),
        STATES.map((s) => el('td', { class: 'num count', 'data-state': s },
          counts[s] ? el('a', { href: instancesHref(Object.assign({ state: s }, base)) }, String(counts[s])) : '0')),
        el('td', { class: 'num total' }, el('a', { href: instancesHref(base) }, String(total))),
        // No live instance runs it and new ones start on a later version.
        el('td', { class: 'droppable', 'data-droppable': d.droppable ? 'yes' : 'no' }, d.droppable ? 'yes' : ''));
    });
    return el('section', { id: 'processes-page' },
      el('h1', null, 'Processes'),
      table('processes', ['Process', 'Version', 'Deployed'].concat(STATES.map((s) => s.toLowerCase()), ['total', 'droppable']),
        rows, 'No process is deployed.'));
  }

  // ------------------------------------------------------------ instances

  async function renderInstances(route) {
    const q = route.query;
    const filter = {
      process: q.get('process') || '',
      version: q.get('version') || '',
      state: q.get('state') || '',
      businessKey: q.get('businessKey') || ''
    };
    const api = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) api.set(k, v);
    if (q.get('cursor')) api.set('cursor', q.get('cursor'));
    api.set('limit', q.get('limit') || String(PAGE_SIZE));
    // A page size given in the address stays on the pager's links.
    const paging = Object.assign({}, filter, { limit: q.get('limit') || '' });
    const page = await get('/api/instances?' + api.toString());

    const form = el('form', { id: 'filter', class: 'filter' },
      el('label', null, 'Process ', el('input', { name: 'process', type: 'text', placeholder: 'process id' })),
      el('label', null, 'Version ', el('input', { name: 'version', type: 'number', min: '1', placeholder: 'any' })),
      el('label', null, 'State ', el('select', { name: 'state' },
        el('option', { value: '' }, 'any'), STATES.map((s) => el('option', { value: s }, s)))),
      el('label', null, 'Business key ', el('input', { name: 'businessKey', type: 'text', placeholder: 'exact' })),
      el('button', { type: 'submit' }, 'Filter'),
      el('a', { href: '#/instances', class: 'reset' }, 'Clear'));
    // Values go in through properties, which never parse markup.
    form.elements.process.value = filter.process;
    form.elements.version.value = filter.version;
    form.elements.state.value = filter.state;
    form.elements.businessKey.value = filter.businessKey;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const f = form.elements;
      const target = instancesHref({ process: f.process.value.trim(), version: f.version.value.trim(), state: f.state.value, businessKey: f.businessKey.value });
      if (location.hash === target) render(); else location.hash = target;
    });

    const rows = (page.instances || []).map((i) => el('tr', { 'data-key': keyText(i.key), 'data-state': i.state },
      el('td', null, el('a', { class: 'open', href: instanceHref(i.key) }, keyText(i.key))),
      el('td', { class: 'state' }, i.state),
      el('td', null, el('a', { href: instancesHref({ process: i.processId }) }, i.processId)),
      el('td', { class: 'num' }, el('a', { href: instancesHref({ process: i.processId, version: i.version }) }, String(i.version))),
      el('td', { class: 'business-key' }, i.businessKey === null || i.businessKey === undefined ? '' : i.businessKey),
      el('td', { class: 'num incidents' + (i.incidents ? ' has-incidents' : '') }, String(i.incidents || 0)),
      el('td', null, iso(i.created)),
      el('td', null, iso(i.updated)),
      el('td', { class: 'error' }, i.error || '')));

    const pager = el('p', { class: 'pager' });
    if (q.get('cursor')) pager.appendChild(el('a', { href: instancesHref(paging), id: 'first-page' }, 'First page'));
    if (page.next !== null && page.next !== undefined) {
      pager.appendChild(el('a', { id: 'next-page', href: instancesHref(Object.assign({}, paging, { cursor: keyText(page.next) })) }, 'Next page'));
    }
    return el('section', { id: 'instances-page' },
      el('h1', null, 'Instances'),
      form,
      el('p', { class: 'hint' }, 'Instances with incidents come first, then the newest.'),
      table('instances', ['Key', 'State', 'Process', 'Version', 'Business key', 'Incidents', 'Created', 'Updated', 'Error'],
        rows, 'No instance matches.'),
      pager);
  }

  // ------------------------------------------------------------- instance

  async function renderInstance(route) {
    const inst = await get('/api/instances/' + encodeURIComponent(route.key));
    const key = keyText(inst.key);
    const ended = ENDED.includes(inst.state);
    const section = el('section', { id: 'instance', 'data-key': key, 'data-state': inst.state });
    section._instance = inst; // read by drawDiagram()

    const actions = el('div', { class: 'actions' });
    if (!session.readOnly && !ended) actions.appendChild(cancelButton(key));
    section.append(
      el('h1', null, 'Instance ', key, ' ', stateBadge(inst.state)),
      el('dl', { class: 'facts' },
        fact('Process', el('a', { href: instancesHref({ process: inst.processId, version: inst.version }) }, inst.processId + ' v' + inst.version)),
        fact('Business key', inst.businessKey === null || inst.businessKey === undefined ? '' : inst.businessKey),
        fact('Created', iso(inst.created)),
        fact('Updated', iso(inst.updated)),
        inst.ended ? fact('Ended', iso(inst.ended)) : null,
        inst.wakeAt ? fact('Wakes at', iso(inst.wakeAt)) : null,
        inst.error ? fact('Error', inst.error) : null),
      actions,
      el('div', { id: 'diagram', class: 'diagram' }),
      el('p', { class: 'legend' },
        el('span', { class: 'legend-active' }, 'active'), ' ',
        el('span', { class: 'legend-completed' }, 'completed'), ' ',
        el('span', { class: 'legend-incident' }, 'incident'), ' ',
        el('span', { class: 'legend-taken' }, 'flow taken')),
      el('h2', null, 'Incidents'), incidentsTable(inst),
      el('h2', null, 'Variables'), variablesTable(inst),
      session.readOnly || ended ? null : setVariableForm(key),
      el('h2', null, 'Jobs'), jobsTable(inst),
      el('h2', null, 'Timers'), timersTable(inst),
      el('h2', null, 'Subscriptions'), subscriptionsTable(inst),
      el('h2', null, 'History'), historyTable(inst));
    return section;
  }

  function fact(name, value) {
    return [el('dt', null, name), el('dd', null, value)];
  }

  function cancelButton(key) {
    const button = el('button', { id: 'cancel-instance', type: 'button', class: 'danger' }, 'Cancel instance');
    let timer = null;
    // Two clicks, no window.confirm(): the first arms the button for a
    // few seconds, the second cancels.
    button.addEventListener('click', () => {
      if (button.getAttribute('data-armed') === null) {
        button.setAttribute('data-armed', '');
        button.textContent = 'Click again to cancel instance ' + key;
        timer = setTimeout(() => {
          button.removeAttribute('data-armed');
          button.textContent = 'Cancel instance';
        }, 5000);
        return;
      }
      clearTimeout(timer);
      button.disabled = true;
      act('Cancel instance ' + key, '/api/instances/' + encodeURIComponent(key) + '/cancel', {});
    });
    return button;
  }

  function variablesTable(inst) {
    const rows = [];
    // "elements" lists the process instance first, then the live element
    // instances; without it (a snapshot that cannot be restored) only the
    // process scope's variables are known.
    const scopes = Array.isArray(inst.elements) && inst.elements.length
      ? inst.elements
      : [{ key: inst.key, elementId: inst.processId, variables: inst.variables || {} }];
    for (const scope of scopes) {
      const vars = scope.variables || {};
      for (const name of Object.keys(vars).sort()) {
        rows.push(el('tr', { 'data-scope': keyText(scope.key), 'data-name': name },
          el('td', { class: 'scope' }, scope.elementId, el('span', { class: 'sub' }, ' ' + keyText(scope.key))),
          el('td', { class: 'name' }, name),
          el('td', { class: 'value' }, el('code', null, jsonText(vars[name])))));
      }
    }
    return table('variables', ['Scope', 'Name', 'Value'], rows, 'No variables.');
  }

  function setVariableForm(key) {
    const form = el('form', { id: 'set-variable', class: 'inline-form' },
      el('label', null, 'Name ', el('input', { name: 'name', type: 'text', required: true })),
      el('label', null, 'Value (JSON) ', el('input', { name: 'value', type: 'text', required: true, placeholder: '"text", 42, {"a": 1}' })),
      el('button', { type: 'submit' }, 'Set variable'));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const name = form.elements.name.value;
      let value;
      try {
        value = parseJson(form.elements.value.value);
      } catch (e) {
        setMessage('The value is not JSON: ' + e.message, 'error');
        return;
      }
      const variables = {};
      variables[name] = value;
      act('Set variable ' + name, '/api/instances/' + encodeURIComponent(key) + '/variables', { variables });
    });
    return form;
  }

  function jobsTable(inst) {
    const rows = (inst.jobs || []).map((j) => {
      const jobKey = keyText(j.key);
      const cells = [
        el('td', null, jobKey),
        el('td', null, j.type),
        el('td', null, j.elementId),
        el('td', { class: 'num retries' }, String(j.retries)),
        el('td', null, j.worker || ''),
        el('td', null, iso(j.deadline))
      ];
      if (!session.readOnly) {
        const input = el('input', { type: 'number', min: '1', max: '1000', value: '3', 'aria-label': 'retries', class: 'retries-input' });
        const button = el('button', { type: 'button', class: 'set-retries' }, 'Set retries');
        button.addEventListener('click', () => {
          const n = Number(input.value);
          if (!Number.isInteger(n) || n < 1 || n > 1000) {
            setMessage('Retries must be a whole number from 1 to 1000.', 'error');
            return;
          }
          act('Set retries of job ' + jobKey + ' to ' + n, '/api/jobs/' + encodeURIComponent(jobKey) + '/retries', { retries: n });
        });
        cells.push(el('td', null, input, ' ', button));
      }
      return el('tr', { 'data-job-key': jobKey }, cells);
    });
    const headings = ['Key', 'Type', 'Element', 'Retries', 'Worker', 'Lock deadline'];
    if (!session.readOnly) headings.push('Action');
    return table('jobs', headings, rows, 'No job waits.');
  }

  function timersTable(inst) {
    const rows = (inst.timers || []).map((t) => el('tr', { 'data-timer-key': keyText(t.key) },
      el('td', null, keyText(t.key)), el('td', null, t.elementId), el('td', null, iso(t.due))));
    return table('timers', ['Key', 'Element', 'Due'], rows, 'No timer.');
  }

  function subscriptionsTable(inst) {
    const rows = [];
    for (const s of inst.messageSubscriptions || []) {
      rows.push(el('tr', { 'data-subscription-key': keyText(s.key) },
        el('td', null, 'message'), el('td', null, s.elementId || ''), el('td', null, s.name || ''),
        el('td', null, s.correlationKey === null || s.correlationKey === undefined ? '' : String(s.correlationKey))));
    }
    for (const s of inst.signalSubscriptions || []) {
      rows.push(el('tr', { 'data-subscription-key': keyText(s.key) },
        el('td', null, 'signal'), el('td', null, s.elementId || ''), el('td', null, s.name || ''), el('td', null, '')));
    }
    return table('subscriptions', ['Kind', 'Element', 'Name', 'Correlation key'], rows, 'No subscription.');
  }

  function incidentsTable(inst) {
    const rows = (inst.incidents || []).map((i) => {
      const incidentKey = keyText(i.key);
      const cells = [
        el('td', null, incidentKey),
        el('td', { class: 'type' }, i.type),
        el('td', { class: 'element' }, i.elementId || ''),
        el('td', { class: 'incident-message' }, i.message || ''),
        el('td', null, iso(i.created))
      ];
      if (!session.readOnly) {
        const button = el('button', { type: 'button', class: 'retry' }, i.jobKey !== null && i.jobKey !== undefined ? 'Retry' : 'Resolve');
        button.addEventListener('click', () => {
          button.disabled = true;
          act('Resolve incident ' + incidentKey, '/api/incidents/' + encodeURIComponent(incidentKey) + '/resolve', {});
        });
        cells.push(el('td', null, button));
      }
      return el('tr', { 'data-incident-key': incidentKey }, cells);
    });
    const headings = ['Key', 'Type', 'Element', 'Message', 'Created'];
    if (!session.readOnly) headings.push('Action');
    return table('incidents', headings, rows, 'No open incident.');
  }

  function historyTable(inst) {
    const rows = (inst.history || []).map((h) => {
      const r = h.record || {};
      const v = r.value || {};
      const what = v.elementId || v.name || v.type || v.errorType || '';
      return el('tr', { 'data-position': keyText(h.position) },
        el('td', { class: 'num' }, keyText(h.position)),
        el('td', null, r.valueType || ''),
        el('td', null, r.intent || ''),
        el('td', null, what),
        el('td', null, keyText(r.key)));
    });
    return table('history', ['Position', 'Value type', 'Intent', 'Element', 'Key'], rows, 'No records.');
  }

  // Live state per element, as Operate shows it: where tokens are now,
  // what completed, which flows were taken, where incidents are open.
  function liveState(inst) {
    const active = new Map();
    const completed = new Map();
    const taken = new Set();
    const incidents = new Map();
    const bump = (map, id) => map.set(id, (map.get(id) || 0) + 1);
    const history = inst.history || [];
    for (const h of history) {
      const r = h.record || {};
      const v = r.value || {};
      if (r.valueType !== 'PROCESS_INSTANCE' || !v.elementId) continue;
      if (r.intent === 'ELEMENT_COMPLETED' && v.bpmnElementType !== 'PROCESS') bump(completed, v.elementId);
      else if (r.intent === 'SEQUENCE_FLOW_TAKEN') taken.add(v.elementId);
    }
    if (Array.isArray(inst.elements)) {
      for (const e of inst.elements) {
        if (e.elementType === 'PROCESS' || keyText(e.flowScopeKey) === '-1') continue;
        bump(active, e.elementId);
      }
    } else if (!ENDED.includes(inst.state)) {
      // No "elements" (the snapshot could not be restored): replay the
      // history's activations and ends instead.
      const live = new Map();
      for (const h of history) {
        const r = h.record || {};
        const v = r.value || {};
        if (r.valueType !== 'PROCESS_INSTANCE' || !v.elementId || v.bpmnElementType === 'PROCESS') continue;
        const k = keyText(r.key);
        if (r.intent === 'ELEMENT_ACTIVATING') live.set(k, v.elementId);
        else if (r.intent === 'ELEMENT_COMPLETED' || r.intent === 'ELEMENT_TERMINATED') live.delete(k);
      }
      for (const id of live.values()) bump(active, id);
    }
    for (const i of inst.incidents || []) if (i.elementId) bump(incidents, i.elementId);
    return { active, completed, taken, incidents };
  }

  async function drawDiagram(section, isCurrent) {
    const inst = section._instance;
    const container = section.querySelector('#diagram');
    if (typeof window.BpmnJS !== 'function') {
      container.appendChild(el('p', { class: 'error' }, 'The diagram viewer did not load.'));
      return;
    }
    let xml;
    try {
      xml = await get('/api/processes/' + encodeURIComponent(inst.processId) + '/' + encodeURIComponent(inst.version) + '/xml');
    } catch (e) {
      container.appendChild(el('p', { class: 'error' }, 'No diagram: ' + e.message));
      return;
    }
    if (!isCurrent()) return;
    if (viewer) viewer.destroy();
    viewer = new window.BpmnJS({ container });
    try {
      await viewer.importXML(xml);
    } catch (e) {
      container.appendChild(el('p', { class: 'error' }, 'The diagram could not be drawn: ' + e.message));
      return;
    }
    if (!isCurrent()) return;
    const canvas = viewer.get('canvas');
    const registry = viewer.get('elementRegistry');
    const overlays = viewer.get('overlays');
    canvas.zoom('fit-viewport', 'auto');
    const state = liveState(inst);
    const mark = (id, cls) => { if (registry.get(id)) canvas.addMarker(id, cls); };
    for (const id of state.taken) mark(id, 'ops-taken');
    for (const id of state.completed.keys()) mark(id, 'ops-completed');
    for (const id of state.active.keys()) mark(id, 'ops-active');
    for (const id of state.incidents.keys()) mark(id, 'ops-incident');
    const ids = new Set([...state.active.keys(), ...state.completed.keys(), ...state.incidents.keys()]);
    for (const id of ids) {
      const shape = registry.get(id);
      if (!shape || shape.waypoints) continue;
      const badge = el('div', { class: 'ops-count', 'data-element-id': id });
      if (state.incidents.get(id)) badge.appendChild(el('span', { class: 'ops-count-incident', title: 'open incidents' }, String(state.incidents.get(id))));
      if (state.active.get(id)) badge.appendChild(el('span', { class: 'ops-count-active', title: 'active' }, String(state.active.get(id))));
      if (state.completed.get(id)) badge.appendChild(el('span', { class: 'ops-count-completed', title: 'completed' }, String(state.completed.get(id))));
      overlays.add(id, 'ops-count', { position: { bottom: 12, left: -20 }, html: badge });
    }
  }

  // ------------------------------------------------------------ incidents

  async function renderIncidents() {
    // The server groups the incidents (by process, element and type) and
    // sends each group's count with its newest instances.
    const body = await get('/api/incidents');
    const rows = (body.groups || []).map((g) => {
      const keys = (g.instances || []).map(keyText);
      const links = el('td', { class: 'instances' });
      keys.forEach((k, n) => {
        if (n) links.appendChild(document.createTextNode(' '));
        links.appendChild(el('a', { href: instanceHref(k), 'data-key': k }, k));
      });
      if (g.count > keys.length) links.appendChild(el('span', { class: 'sub' }, ' and ' + (g.count - keys.length) + ' more'));
      return el('tr', { 'data-process-id': g.processId, 'data-type': g.type, 'data-element-id': g.elementId || '' },
        el('td', { class: 'process' }, g.processId),
        el('td', { class: 'type' }, g.type),
        el('td', { class: 'element' }, g.elementId || ''),
        el('td', { class: 'num count' }, String(g.count)),
        el('td', { class: 'incident-message' }, g.message || ''),
        links);
    });
    return el('section', { id: 'incidents-page' },
      el('h1', null, 'Incidents'),
      el('p', { class: 'hint' }, 'Open incidents of all instances, grouped by process, element and type, the largest group first.'),
      table('incident-groups', ['Process', 'Type', 'Element', 'Count', 'Message (newest)', 'Instances (newest)'], rows, 'No open incident.'));
  }

  // ---------------------------------------------------------------- start

  async function start() {
    try {
      Object.assign(session, await get('/api/session'));
    } catch (e) {
      setMessage('Could not open a session: ' + e.message, 'error');
    }
    const info = document.getElementById('session-info');
    info.textContent = [session.store, session.version ? 'baton ' + session.version : '', session.readOnly ? 'read-only' : '']
      .filter(Boolean).join(' · ');
    document.body.classList.toggle('read-only', !!session.readOnly);
    window.addEventListener('hashchange', () => { setMessage(''); render(); });
    await render();
  }

  document.addEventListener('DOMContentLoaded', start);
})();
