import { tf, initBackend } from './src/optimus/backend.ts';
import { bindNetwork, forwardTfjs, networkLayout } from './src/optimus/network.ts';
import { optimusConfig, optimusNetworkConfig } from './src/optimus/optimus.ts';
await initBackend('wasm');
try { const a = tf.ones([2, 1024, 10000]); const c = tf.ones([2, 10000, 8]); const r = tf.matMul(a, c); r.dataSync(); console.log('PV ok'); } catch (e) { console.log('PV fail', String(e).slice(0, 80)); }
const cfg = optimusNetworkConfig(optimusConfig());
const w = networkLayout(cfg).init(0);
const net = bindNetwork(cfg, w);
const n = 10000;
const tokens = new Float32Array(n * cfg.inputs).map((_, i) => Math.sin(i));
const t0 = performance.now();
try { forwardTfjs(cfg, net.layout, w, tokens, n); console.log('fwd ok', performance.now() - t0); } catch (e) { console.log('fwd fail', String(e).slice(0, 100)); }
console.log(tf.memory());
