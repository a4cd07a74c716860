import { proveRelease } from './etcd-proof.js';

// sid's etcd-server 3.5.30 (scripts/fetch-etcd.sh sid): the cases where 3.5 differs from 3.4.
proveRelease('3.5-sid', '3.5', (c) => !!c.differs);
