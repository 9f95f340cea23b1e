// SPDX-License-Identifier: GPL-2.0-only
/*
 * The media controller graph of the decoder: the video node's OUTPUT side
 * feeds a decoder entity that feeds the node's CAPTURE side. It is the
 * topology v4l2-mem2mem builds for its drivers; Debian's kernels do not
 * build v4l2-mem2mem, so it is built here from the media core's helpers.
 */
#include <media/media-entity.h>

#include "daedalus.h"

static const u32 daedalus_link_flags = MEDIA_LNK_FL_IMMUTABLE | MEDIA_LNK_FL_ENABLED;

static int daedalus_media_entity(struct daedalus_dev *ddev, struct media_entity *entity,
				 const char *name, u32 function,
				 struct media_pad *pads, u16 num_pads)
{
	entity->obj_type = MEDIA_ENTITY_TYPE_BASE;
	entity->name = name;
	entity->function = function;
	if (function == MEDIA_ENT_F_IO_V4L) {
		/* The legacy MEDIA_IOC_ENUM_ENTITIES API still reports these. */
		entity->info.dev.major = VIDEO_MAJOR;
		entity->info.dev.minor = ddev->vdev.minor;
	}
	return media_entity_pads_init(entity, num_pads, pads);
}

static int daedalus_media_entities(struct daedalus_dev *ddev)
{
	struct daedalus_media *m = &ddev->media;
	int ret;

	m->source_pad.flags = MEDIA_PAD_FL_SOURCE;
	ret = daedalus_media_entity(ddev, &m->source, DAEDALUS_CARD_NAME "-source",
				    MEDIA_ENT_F_IO_V4L, &m->source_pad, 1);
	if (ret)
		return ret;

	m->proc_pads[0].flags = MEDIA_PAD_FL_SINK;
	m->proc_pads[1].flags = MEDIA_PAD_FL_SOURCE;
	ret = daedalus_media_entity(ddev, &m->proc, DAEDALUS_CARD_NAME "-proc",
				    MEDIA_ENT_F_PROC_VIDEO_DECODER, m->proc_pads, 2);
	if (ret)
		return ret;

	m->sink_pad.flags = MEDIA_PAD_FL_SINK;
	return daedalus_media_entity(ddev, &m->sink, DAEDALUS_CARD_NAME "-sink",
				     MEDIA_ENT_F_IO_V4L, &m->sink_pad, 1);
}

static void daedalus_media_remove_entities(struct daedalus_dev *ddev)
{
	struct daedalus_media *m = &ddev->media;

	if (m->intf) {
		media_remove_intf_links(&m->intf->intf);
		media_devnode_remove(m->intf);
		m->intf = NULL;
	}
	media_device_unregister_entity(&m->source);
	media_device_unregister_entity(&m->proc);
	media_device_unregister_entity(&m->sink);
}

/**
 * daedalus_media_register - build the graph and register the media device
 * @ddev: the device, whose video node is already registered
 *
 * Return: 0 or a negative errno; on error nothing stays registered.
 */
int daedalus_media_register(struct daedalus_dev *ddev)
{
	struct daedalus_media *m = &ddev->media;
	struct media_link *link;
	int ret;

	ret = daedalus_media_entities(ddev);
	if (ret)
		return ret;

	/* The removal helpers skip what was never registered: one unwind serves all. */
	ret = media_device_register_entity(&ddev->mdev, &m->source);
	if (ret)
		goto err;
	ret = media_device_register_entity(&ddev->mdev, &m->proc);
	if (ret)
		goto err;
	ret = media_device_register_entity(&ddev->mdev, &m->sink);
	if (ret)
		goto err;

	ret = media_create_pad_link(&m->source, 0, &m->proc, 0, daedalus_link_flags);
	if (ret)
		goto err;
	ret = media_create_pad_link(&m->proc, 1, &m->sink, 0, daedalus_link_flags);
	if (ret)
		goto err;

	m->intf = media_devnode_create(&ddev->mdev, MEDIA_INTF_T_V4L_VIDEO, 0,
				       VIDEO_MAJOR, ddev->vdev.minor);
	if (!m->intf) {
		ret = -ENOMEM;
		goto err;
	}
	link = media_create_intf_link(&m->source, &m->intf->intf, daedalus_link_flags);
	if (!link) {
		ret = -ENOMEM;
		goto err;
	}
	link = media_create_intf_link(&m->sink, &m->intf->intf, daedalus_link_flags);
	if (!link) {
		ret = -ENOMEM;
		goto err;
	}

	ret = media_device_register(&ddev->mdev);
	if (ret)
		goto err;
	return 0;

err:
	daedalus_media_remove_entities(ddev);
	return ret;
}

/* Our graph first: media_device_unregister() would unlink, not free, our interface. */
void daedalus_media_unregister(struct daedalus_dev *ddev)
{
	daedalus_media_remove_entities(ddev);
	media_device_unregister(&ddev->mdev);
}
