// The presence mesh, as net/mesh builds it (docs/PROTOCOL.md §10): one
// RTCPeerConnection per other peer, the lower peer ID offers, one
// pre-negotiated unordered, unreliable channel (id 0, "presence").

const CONNECT_TIMEOUT_MS = 20000; // as net/mesh: the relay carries presence meanwhile
const MAX_EARLY_CANDIDATES = 64;

export class Mesh {
  /**
   * @param {number} self our peer ID
   * @param {string[]} ice STUN/TURN URLs from welcome.ice
   * @param {{signal(to:number, data:object):void, packet(from:number, bytes:Uint8Array):void, route(peer:number, route:string):void}} cb
   */
  constructor(self, ice, cb, withholdCandidates = false) {
    this.self = self;
    // Sending no candidates makes the other side learn our address from
    // our connectivity checks (peer-reflexive), as it does with a browser
    // that hides its addresses behind mDNS names: a diagnostic for that path.
    this.withhold = withholdCandidates;
    this.cfg = { iceServers: (ice || []).map((u) => ({ urls: u })) };
    this.cb = cb;
    this.peers = new Map();
    this.closed = false;
  }

  add(id) {
    if (id === this.self || this.closed || this.peers.has(id)) return;
    const p = this.newPeer(id);
    if (p.offerer) this.offer(p);
  }

  newPeer(id) {
    const pc = new RTCPeerConnection(this.cfg);
    const dc = pc.createDataChannel('presence', { negotiated: true, id: 0, ordered: false, maxRetransmits: 0 });
    dc.binaryType = 'arraybuffer';
    const p = { id, pc, dc, offerer: this.self < id, open: false, failed: false, remote: false, queued: [] };
    this.peers.set(id, p);
    pc.onicecandidate = (e) => {
      // null and "" end the gathering; net/mesh needs no end-of-candidates.
      if (e.candidate && e.candidate.candidate && !this.withhold) this.cb.signal(id, { kind: 'candidate', candidate: e.candidate.toJSON() });
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed') this.fail(p, 'connection failed');
    };
    dc.onopen = () => {
      if (this.peers.get(id) !== p || p.failed) return;
      p.open = true;
      clearTimeout(p.timer);
      this.cb.route(id, 'p2p');
    };
    dc.onclose = () => {
      if (p.open) { p.open = false; this.cb.route(id, 'relay'); }
    };
    dc.onmessage = (e) => {
      if (typeof e.data === 'string') return; // only binary presence packets
      const b = new Uint8Array(e.data);
      if (b.length <= 512) this.cb.packet(id, b);
    };
    p.timer = setTimeout(() => { if (!p.open) this.fail(p, 'not connected in time'); }, CONNECT_TIMEOUT_MS);
    return p;
  }

  async offer(p) {
    try {
      const o = await p.pc.createOffer();
      await p.pc.setLocalDescription(o);
      this.cb.signal(p.id, { kind: 'offer', sdp: p.pc.localDescription.sdp });
    } catch (err) { this.fail(p, err); }
  }

  fail(p, why) {
    if (p.failed) return;
    console.debug('mesh: pair with', p.id, 'falls back to the relay:', String(why));
    p.failed = true;
    p.open = false;
    clearTimeout(p.timer);
    p.pc.close();
    this.cb.route(p.id, 'relay');
  }

  remove(id) {
    const p = this.peers.get(id);
    if (!p) return;
    this.peers.delete(id);
    clearTimeout(p.timer);
    p.pc.close();
  }

  /** handle applies signaling data the authority stamped as from peer from. */
  async handle(from, d) {
    if (this.closed || !d || typeof d !== 'object') return;
    let p = this.peers.get(from);
    if (!p && d.kind === 'offer') p = this.newPeer(from);
    if (!p || p.failed) return;
    try {
      switch (d.kind) {
        case 'offer':
          if (p.offerer || typeof d.sdp !== 'string') return; // we offer to this peer
          await p.pc.setRemoteDescription({ type: 'offer', sdp: d.sdp });
          p.remote = true;
          await this.flush(p);
          await p.pc.setLocalDescription(await p.pc.createAnswer());
          this.cb.signal(from, { kind: 'answer', sdp: p.pc.localDescription.sdp });
          break;
        case 'answer':
          if (!p.offerer || p.remote || typeof d.sdp !== 'string') return;
          await p.pc.setRemoteDescription({ type: 'answer', sdp: d.sdp });
          p.remote = true;
          await this.flush(p);
          break;
        case 'candidate':
          if (!d.candidate || typeof d.candidate !== 'object') return;
          if (!p.remote) {
            p.queued.push(d.candidate);
            if (p.queued.length > MAX_EARLY_CANDIDATES) this.fail(p, 'too many early candidates');
            return;
          }
          await p.pc.addIceCandidate(d.candidate);
          break;
      }
    } catch (err) { this.fail(p, err); }
  }

  async flush(p) {
    const q = p.queued;
    p.queued = [];
    for (const c of q) { try { await p.pc.addIceCandidate(c); } catch { /* a bad candidate costs only itself */ } }
  }

  /** send sends a packet on every open channel; it returns how many of peers it could not reach so. */
  send(pkt, peers) {
    let unreached = 0;
    for (const id of peers) {
      if (id === this.self) continue;
      const p = this.peers.get(id);
      if (p && p.open && p.dc.readyState === 'open') {
        try { p.dc.send(pkt); } catch { unreached++; }
      } else unreached++;
    }
    return unreached;
  }

  route(id) { const p = this.peers.get(id); return p && p.open ? 'p2p' : 'relay'; }

  close() {
    this.closed = true;
    for (const id of [...this.peers.keys()]) this.remove(id);
  }
}
