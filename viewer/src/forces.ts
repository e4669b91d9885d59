/**
 * The forces of a physics result (motion.json frames' `groundForce` and `residual`): arrows in
 * the 3D view — the ground's push at each foot in contact, the residual (a force from outside
 * the body) in a warning colour at the pelvis — scaled so that one body weight is ARROW_PER_WEIGHT
 * metres, and their per-frame series for the plots.
 */
import * as THREE from 'three';
import type { MotionFile, MotionFrame } from '../../src/formats/motion.ts';
import { anchor, FOOT, MID_HIP } from './anchors.ts';
import type { Message } from './load.ts';
import type { Series } from './plots.ts';

/** Arrow length (m) of a force of one body weight. */
export const ARROW_PER_WEIGHT = 0.8;
/** Forces below this share of body weight draw no arrow (numerical noise, a grazing foot). */
const MIN_SHARE = 0.01;
export const FORCE_COLORS = { ground: 0x4cc9f0, residual: 0xff9f1c };

const G = 9.81;

/** Body weight (N) of a physics result: the accounting's mass, else the frames' mean ground force, else null. */
export function bodyWeightN(motion: MotionFile): number | null {
  const massKg = (motion.stages?.physics as { accounting?: { massKg?: unknown } } | undefined)?.accounting?.massKg;
  if (typeof massKg === 'number' && massKg > 0) return massKg * G;
  const forces = motion.frames.filter((f) => f.groundForce).map((f) => f.groundForce!.leftFoot + f.groundForce!.rightFoot);
  const mean = forces.reduce((a, b) => a + b, 0) / Math.max(1, forces.length);
  return mean > 0 ? mean : null;
}

/** Whether a motion carries any per-frame force (a physics stage that measured them). */
export function hasForces(motion: MotionFile | null): motion is MotionFile {
  return !!motion?.frames.some((f) => f.groundForce || f.residual);
}

/** Per frame: |residual force| and the ground's push on both feet, each in % of body weight (NaN where not simulated). */
export function forceSeries(motion: MotionFile): Series[] {
  const w = bodyWeightN(motion) ?? 1;
  const residual = motion.frames.map((f) => (f.residual ? (100 * Math.hypot(...f.residual.force)) / w : NaN));
  const support = motion.frames.map((f) => (f.groundForce ? (100 * (f.groundForce.leftFoot + f.groundForce.rightFoot)) / w : NaN));
  return [
    { name: 'residual % weight', color: '#ff9f1c', values: residual },
    { name: 'ground on feet % weight', color: '#4cc9f0', values: support },
  ];
}

/** One arrow: a shaft and a head with their own geometry and material (disposed with the scene content). */
class Arrow {
  readonly group = new THREE.Group();
  private readonly shaft: THREE.Mesh;
  private readonly head: THREE.Mesh;
  length = 0;

  constructor(color: number) {
    const material = new THREE.MeshBasicMaterial({ color, depthTest: false, transparent: true, opacity: 0.9 });
    this.shaft = new THREE.Mesh(new THREE.CylinderGeometry(0.012, 0.012, 1, 8).translate(0, 0.5, 0), material);
    this.head = new THREE.Mesh(new THREE.ConeGeometry(0.035, 1, 12).translate(0, 0.5, 0), material);
    for (const m of [this.shaft, this.head]) { m.renderOrder = 4; m.frustumCulled = false; }
    this.group.add(this.shaft, this.head);
    this.group.visible = false;
  }

  /** Points the arrow from `from` along `dir` (unit) with length `len` metres; hidden when len is 0. */
  set(from: THREE.Vector3, dir: THREE.Vector3, len: number): void {
    this.length = len;
    this.group.visible = len > 0;
    if (!this.group.visible) return;
    const head = Math.min(0.08, 0.4 * len);
    this.group.position.copy(from);
    this.group.quaternion.setFromUnitVectors(UP, dir);
    this.shaft.scale.set(1, len - head, 1);
    this.head.scale.set(1, head, 1);
    this.head.position.set(0, len - head, 0);
  }
}

const UP = new THREE.Vector3(0, 1, 0);
const SCRATCH = { p: new THREE.Vector3(), d: new THREE.Vector3() };

/** What the arrows of the current frame show (for tests and the console). */
export interface ArrowState { visible: boolean; length: number }

/** The ground-force arrows at both feet and the residual arrow at the pelvis. */
export class ForceArrows {
  readonly group = new THREE.Group();
  private readonly arrows = { leftFoot: new Arrow(FORCE_COLORS.ground), rightFoot: new Arrow(FORCE_COLORS.ground), residual: new Arrow(FORCE_COLORS.residual) };

  constructor(private readonly weightN: number, private readonly groundY: number) {
    for (const a of Object.values(this.arrows)) this.group.add(a.group);
  }

  /** Shows frame f's forces (no allocation: played frames call this). */
  update(f: MotionFrame): void {
    const { p, d } = SCRATCH;
    const pts = f.joints3d;
    const scale = ARROW_PER_WEIGHT / this.weightN;
    for (const side of ['left', 'right'] as const) {
      const arrow = this.arrows[side === 'left' ? 'leftFoot' : 'rightFoot'];
      const n = f.groundForce ? f.groundForce[side === 'left' ? 'leftFoot' : 'rightFoot'] : 0;
      const inContact = side === 'left' ? f.contacts.leftFoot : f.contacts.rightFoot;
      if (!inContact || n < MIN_SHARE * this.weightN || pts.length < 33) { arrow.set(p, UP, 0); continue; }
      anchor(pts, FOOT[side], p).setY(this.groundY);
      arrow.set(p, UP, n * scale);
    }
    const r = f.residual?.force;
    const mag = r ? Math.hypot(r[0], r[1], r[2]) : 0;
    if (!r || mag < MIN_SHARE * this.weightN || pts.length < 33) {
      this.arrows.residual.set(p, UP, 0);
      return;
    }
    anchor(pts, MID_HIP, p);
    d.set(r[0] / mag, r[1] / mag, r[2] / mag);
    this.arrows.residual.set(p, d, mag * scale);
  }

  state(): Record<'leftFoot' | 'rightFoot' | 'residual', ArrowState> {
    const s = (a: Arrow): ArrowState => ({ visible: a.group.visible, length: a.group.visible ? a.length : 0 });
    return { leftFoot: s(this.arrows.leftFoot), rightFoot: s(this.arrows.rightFoot), residual: s(this.arrows.residual) };
  }
}

/**
 * What the physics stage reported about how physical the result is (stages.physics.accounting):
 * a warning when a residual force held the body or the simulation was restarted or fell, null
 * without an accounting.
 */
export function accountingMessage(motion: MotionFile | null): Message | null {
  const a = (motion?.stages?.physics as { accounting?: unknown } | undefined)?.accounting as
    { residual?: { meanPctBodyWeight?: number; maxPctBodyWeight?: number }; restarts?: number; falls?: number; contactSupportPct?: number } | undefined;
  const r = a?.residual;
  if (!a || typeof r?.meanPctBodyWeight !== 'number' || typeof a.restarts !== 'number' || typeof a.falls !== 'number') return null;
  const physical = r.meanPctBodyWeight === 0 && a.restarts === 0;
  const text = `Physics: residual force ${r.meanPctBodyWeight.toFixed(1)} % of body weight on average (max ${(r.maxPctBodyWeight ?? 0).toFixed(0)} %), `
    + `ground support ${(a.contactSupportPct ?? 0).toFixed(0)} %, ${a.restarts} restart${a.restarts === 1 ? '' : 's'}, ${a.falls} fall${a.falls === 1 ? '' : 's'}`
    + (physical ? ' — fully physical.' : ' — not fully physical (orange arrows: the residual).');
  return { level: physical && a.falls === 0 ? 'info' : 'warning', text };
}
